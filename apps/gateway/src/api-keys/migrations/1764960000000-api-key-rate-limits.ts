import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A key's own rate limit, requests a second; null: the gateway's RATE_LIMIT_PER_SECOND. */
export class ApiKeyRateLimits1764960000000 implements MigrationInterface {
  name = 'ApiKeyRateLimits1764960000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`alter table gateway.api_keys add column rate_limit_per_second integer check (rate_limit_per_second > 0)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`alter table gateway.api_keys drop column rate_limit_per_second`);
  }
}
