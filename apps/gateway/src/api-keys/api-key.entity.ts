import { Column, Entity, PrimaryColumn } from 'typeorm';

export const API_KEY_ROLES = ['admin', 'service'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/** A credential: never the key itself, only its hash (see api-key-format.ts). */
@Entity({ schema: 'gateway', name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Column('text')
  role!: ApiKeyRole;

  @Column('text')
  prefix!: string;

  @Column('text', { name: 'key_hash', unique: true })
  keyHash!: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;

  /** Requests a second this key may make on average; null: the gateway's default (RATE_LIMIT_PER_SECOND). */
  @Column('integer', { name: 'rate_limit_per_second', nullable: true })
  rateLimitPerSecond!: number | null;
}
