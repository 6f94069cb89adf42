import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { LRUCache } from 'lru-cache';
import { assertSchemaName, migrate, type Migration } from '@clientela/postgres';
import { DataKeyMissingError, MasterKeyError } from './errors';
import { masterKeyById, unwrapDataKey, wrapDataKey, type MasterKeys } from './master-keys';
import type { DataKey } from './sealed-fields';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'data keys',
    // A destroyed key keeps its row (wrapped_key null): the person stays known as erased, so new
    // personal data about them is refused instead of sealed under a fresh key.
    sql: (schema) => `
      create table ${schema}.data_keys (
        subject text primary key,
        master_key_id text,
        wrapped_key bytea,
        created_at timestamptz not null default now(),
        destroyed_at timestamptz,
        check ((wrapped_key is null) = (destroyed_at is not null)));
      create index data_keys_master_key on ${schema}.data_keys (master_key_id) where wrapped_key is not null;`,
  },
];

export const migrateDataKeys = (pool: Pool, schema = 'privacy'): Promise<number[]> => migrate(pool, assertSchemaName(schema), MIGRATIONS);

/** What a subject's key is: usable, or destroyed by an erasure. */
export type KeyState = DataKey | 'erased';

export interface DataKeyRingOptions {
  schema?: string;
  /** Keys kept in memory; a destroyed key leaves the cache of the process that destroys it at once. */
  cacheSize?: number;
  /**
   * How long a process trusts a cached live key. Another process's erasure reaches this one within
   * it (the read models are scrubbed by ContactErased in any case).
   */
  cacheTtlMs?: number;
}

const toDataKey = (raw: Buffer): DataKey => ({
  encryption: createSecretKey(raw),
  iv: createSecretKey(createHmac('sha256', raw).update('clientela sealed-field iv').digest()),
});

/**
 * The per-person data keys, stored wrapped by the master key in PostgreSQL, whichever event store
 * runs. One query per batch of subjects; keys are created on first use.
 */
export class DataKeyRing {
  private readonly schema: string;
  private readonly cache: LRUCache<string, KeyState>;

  constructor(
    private readonly pool: Pool,
    private readonly masterKeys: MasterKeys,
    options: DataKeyRingOptions = {},
  ) {
    this.schema = assertSchemaName(options.schema ?? 'privacy');
    this.cache = new LRUCache<string, KeyState>({ max: options.cacheSize ?? 100_000, ttl: options.cacheTtlMs ?? 30_000, ttlAutopurge: false });
  }

  /** The keys of `subjects`: created for those without one when `create`, else missing keys throw DataKeyMissingError. */
  async keysFor(subjects: Iterable<string>, create: boolean): Promise<Map<string, KeyState>> {
    const found = new Map<string, KeyState>();
    const unknown: string[] = [];
    for (const subject of new Set(subjects)) {
      const cached = this.cache.get(subject);
      if (cached !== undefined) found.set(subject, cached);
      else unknown.push(subject);
    }
    if (unknown.length === 0) return found;
    const stored = create ? await this.loadOrCreate(unknown) : await this.load(unknown);
    if (create && stored.size < unknown.length) {
      // Another process inserted one of them while this statement ran: its snapshot predates that
      // commit, so the row is read again by a statement of its own.
      for (const [subject, state] of await this.load(unknown.filter((s) => !stored.has(s)))) stored.set(subject, state);
    }
    const absent = unknown.find((subject) => !stored.has(subject));
    if (absent !== undefined) throw new DataKeyMissingError(absent);
    for (const [subject, state] of stored) {
      // An erased subject never comes back, so it may stay cached for as long as the cache keeps it.
      this.cache.set(subject, state, state === 'erased' ? { ttl: 0 } : undefined);
      found.set(subject, state);
    }
    return found;
  }

  /** Destroys the keys of `subjects` for good (their sealed data reads as erased from now on); answers how many were live. */
  async destroy(subjects: readonly string[]): Promise<number> {
    for (const subject of subjects) this.cache.set(subject, 'erased', { ttl: 0 });
    // Subjects without a key yet are recorded as erased too, so nothing personal about them is stored later.
    const { rows } = await this.pool.query<{ n: string }>(
      `with live as (
         update ${this.schema}.data_keys set wrapped_key = null, master_key_id = null, destroyed_at = now()
          where subject = any($1::text[]) and wrapped_key is not null
         returning subject),
       marked as (
         insert into ${this.schema}.data_keys (subject, master_key_id, wrapped_key, destroyed_at)
         select s, null, null, now() from unnest($1::text[]) as s where s not in (select subject from live)
         on conflict (subject) do nothing)
       select count(*)::text as n from live`,
      [subjects],
    );
    return Number(rows[0].n);
  }

  /**
   * Which of `subjects` were erased, read from the table (never the cache, whose live keys may be
   * another process's stale view): what ingest asks before it attributes anything to a person.
   */
  async erasedAmong(subjects: Iterable<string>): Promise<Set<string>> {
    const wanted = [...new Set(subjects)];
    if (wanted.length === 0) return new Set();
    const { rows } = await this.pool.query<{ subject: string }>(
      `select subject from ${this.schema}.data_keys where subject = any($1::text[]) and wrapped_key is null`,
      [wanted],
    );
    for (const { subject } of rows) this.cache.set(subject, 'erased', { ttl: 0 });
    return new Set(rows.map((r) => r.subject));
  }

  /** Forgets cached keys, e.g. on seeing an erasure another process made. */
  forget(subjects: Iterable<string>): void {
    for (const subject of subjects) this.cache.delete(subject);
  }

  /**
   * Re-wraps every live data key that is not under the current master key, in batches, while the
   * platform runs: processes accept the current and the previous master keys during a rotation.
   */
  async rewrap(batchSize = 1_000, onBatch?: (done: number) => void): Promise<number> {
    let done = 0;
    for (;;) {
      const { rows } = await this.pool.query<{ subject: string; master_key_id: string; wrapped_key: Buffer }>(
        `select subject, master_key_id, wrapped_key from ${this.schema}.data_keys
          where wrapped_key is not null and master_key_id <> $1 order by subject limit $2`,
        [this.masterKeys.current.id, batchSize],
      );
      if (rows.length === 0) return done;
      const subjects: string[] = [];
      const oldIds: string[] = [];
      const wrapped: Buffer[] = [];
      for (const row of rows) {
        const raw = unwrapDataKey(masterKeyById(this.masterKeys, row.master_key_id), row.subject, row.wrapped_key);
        subjects.push(row.subject);
        oldIds.push(row.master_key_id);
        wrapped.push(wrapDataKey(this.masterKeys.current, row.subject, raw));
      }
      // Only rows still as read: a key destroyed meanwhile stays destroyed.
      await this.pool.query(
        `update ${this.schema}.data_keys k set wrapped_key = n.wrapped, master_key_id = $4
           from unnest($1::text[], $2::text[], $3::bytea[]) as n(subject, old_id, wrapped)
          where k.subject = n.subject and k.master_key_id = n.old_id and k.wrapped_key is not null`,
        [subjects, oldIds, wrapped, this.masterKeys.current.id],
      );
      done += rows.length;
      onBatch?.(done);
    }
  }

  /**
   * One round trip: inserts a new key for every subject without a row and answers every subject's
   * row (the statement's snapshot does not see its own inserts, hence the union). Two processes
   * creating the same person's key at once: the first insert wins, the other reads it back.
   */
  private async loadOrCreate(subjects: readonly string[]): Promise<Map<string, KeyState>> {
    const wrapped = subjects.map((subject) => wrapDataKey(this.masterKeys.current, subject, randomBytes(32)));
    const { rows } = await this.pool.query<KeyRow>(
      `with created as (
         insert into ${this.schema}.data_keys (subject, master_key_id, wrapped_key)
         select s, $2, w from unnest($1::text[], $3::bytea[]) as n(s, w)
         on conflict (subject) do nothing
         returning subject, master_key_id, wrapped_key)
       select * from created
       union all
       select subject, master_key_id, wrapped_key from ${this.schema}.data_keys
        where subject = any($1::text[]) and subject not in (select subject from created)`,
      [subjects, this.masterKeys.current.id, wrapped],
    );
    return this.statesOf(rows);
  }

  private async load(subjects: readonly string[]): Promise<Map<string, KeyState>> {
    const { rows } = await this.pool.query<KeyRow>(
      `select subject, master_key_id, wrapped_key from ${this.schema}.data_keys where subject = any($1::text[])`,
      [subjects],
    );
    return this.statesOf(rows);
  }

  private statesOf(rows: readonly KeyRow[]): Map<string, KeyState> {
    const states = new Map<string, KeyState>();
    for (const row of rows) {
      if (row.wrapped_key === null || row.master_key_id === null) {
        states.set(row.subject, 'erased');
        continue;
      }
      try {
        states.set(row.subject, toDataKey(unwrapDataKey(masterKeyById(this.masterKeys, row.master_key_id), row.subject, row.wrapped_key)));
      } catch (error) {
        // Whose key it was, so that a read can name the event it failed on.
        throw error instanceof MasterKeyError && error.subject === undefined ? new MasterKeyError(error.message, row.subject) : error;
      }
    }
    return states;
  }
}

interface KeyRow {
  subject: string;
  master_key_id: string | null;
  wrapped_key: Buffer | null;
}
