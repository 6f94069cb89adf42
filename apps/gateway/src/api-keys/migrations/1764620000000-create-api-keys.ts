import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateApiKeys1764620000000 implements MigrationInterface {
  name = 'CreateApiKeys1764620000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`create schema if not exists gateway`);
    await runner.query(`
      create table gateway.api_keys (
        id uuid primary key,
        name text not null,
        role text not null check (role in ('admin', 'service')),
        prefix text not null,
        key_hash text not null unique,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop table gateway.api_keys`);
  }
}
