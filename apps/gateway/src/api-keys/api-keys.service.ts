import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { NotFoundError } from '@clientela/contracts';
import type { StructuredLogger } from '@clientela/platform';
import type { Principal } from '../request-context';
import { GATEWAY_LOGGER } from '../tokens';
import { displayPrefixOf, generateApiKey, hashApiKey, isPlausibleApiKey } from './api-key-format';
import { ApiKeyEntity, type ApiKeyRole } from './api-key.entity';
import { VerifiedKeyCache } from './verified-key-cache';

export const API_KEYS_OPTIONS = Symbol('clientela:gateway:api-keys-options');

export interface ApiKeysOptions {
  /** Made an admin key at start when no key with its hash exists (revoked ones count: a revoked admin key stays revoked). */
  adminApiKey?: string;
  cacheTtlMs: number;
}

/** Keys: created with their secret shown once, listed without it, revoked, verified by hash. */
@Injectable()
export class ApiKeysService implements OnModuleInit {
  /**
   * By the key as presented, not its hash: a hit then costs no SHA-256 on the request's path. The
   * entry keeps the hash, which a revocation evicts by.
   */
  private readonly cache: VerifiedKeyCache<{ principal: Principal; keyHash: string }>;
  private readonly reading = new Map<string, Promise<Principal | null>>();

  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    @Inject(API_KEYS_OPTIONS) private readonly options: ApiKeysOptions,
    @Inject(GATEWAY_LOGGER) private readonly logger: StructuredLogger,
  ) {
    this.cache = new VerifiedKeyCache(options.cacheTtlMs);
  }

  async onModuleInit(): Promise<void> {
    if (this.options.adminApiKey && (await this.ensureAdminKey(this.options.adminApiKey))) {
      this.logger.info('admin API key created from ADMIN_API_KEY', { prefix: displayPrefixOf(this.options.adminApiKey) });
    }
  }

  /** True when it was created now; concurrent starts insert it once (the hash is unique). */
  async ensureAdminKey(key: string): Promise<boolean> {
    const result = await this.keys
      .createQueryBuilder()
      .insert()
      .values({ id: randomUUID(), name: 'admin', role: 'admin', prefix: displayPrefixOf(key), keyHash: hashApiKey(key), createdAt: new Date(), revokedAt: null, rateLimitPerSecond: null })
      .orIgnore()
      .returning('id')
      .execute();
    return (result.raw as unknown[]).length > 0;
  }

  async create(name: string, role: ApiKeyRole, rateLimitPerSecond: number | null = null): Promise<{ key: string; entity: ApiKeyEntity }> {
    const { key, prefix } = generateApiKey();
    const entity = await this.keys.save(
      this.keys.create({ id: randomUUID(), name, role, prefix, keyHash: hashApiKey(key), createdAt: new Date(), revokedAt: null, rateLimitPerSecond }),
    );
    return { key, entity };
  }

  list(): Promise<ApiKeyEntity[]> {
    return this.keys.find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** A key's own rate limit, or null for the default; this gateway's cache forgets the key, so it holds at once. */
  async changeRateLimit(id: string, rateLimitPerSecond: number | null): Promise<ApiKeyEntity> {
    const entity = await this.keys.findOneBy({ id });
    if (!entity) throw new NotFoundError(`no API key ${id}`);
    await this.keys.update({ id }, { rateLimitPerSecond });
    this.cache.deleteWhere((cached) => cached.keyHash === entity.keyHash);
    return { ...entity, rateLimitPerSecond };
  }

  /** Revoking twice is fine; an unknown id is not. */
  async revoke(id: string): Promise<void> {
    const entity = await this.keys.findOneBy({ id });
    if (!entity) throw new NotFoundError(`no API key ${id}`);
    if (entity.revokedAt === null) await this.keys.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    this.cache.deleteWhere((cached) => cached.keyHash === entity.keyHash);
  }

  async verify(key: string): Promise<Principal | null> {
    const cached = this.cache.get(key);
    if (cached) return cached.principal;
    if (!isPlausibleApiKey(key)) return null;
    // Requests in flight when an entry expires share one read, not one read (and one connection) each.
    let pending = this.reading.get(key);
    if (!pending) {
      pending = this.read(key).finally(() => this.reading.delete(key));
      this.reading.set(key, pending);
    }
    return pending;
  }

  private async read(key: string): Promise<Principal | null> {
    const keyHash = hashApiKey(key);
    const entity = await this.keys.findOneBy({ keyHash, revokedAt: IsNull() });
    if (!entity) return null;
    const principal: Principal = { kind: 'api-key', id: entity.id, name: entity.name, role: entity.role, rateLimitPerSecond: entity.rateLimitPerSecond };
    this.cache.set(key, { principal, keyHash });
    return principal;
  }
}
