import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Pool } from 'pg';
import { LRUCache } from 'lru-cache';
import { assertSchemaName, migrate, type Migration } from '@clientela/postgres';
import { DataKeyMissingError, MasterKeyError } from './errors';
import { masterKeyById, unwrapDataKey, WRAP_IV_BYTES, wrapDataKey, type MasterKey, type MasterKeys } from './master-keys';
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
  {
    version: 2,
    // Processes look for recent erasures instead of fetching every cached key again (DataKeyRing).
    name: 'destroyed keys by time',
    sql: (schema) => `create index data_keys_destroyed_at on ${schema}.data_keys (destroyed_at) where destroyed_at is not null;`,
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
   * How long a process trusts its cached live keys without looking for erasures (one query for the
   * keys destroyed since it last looked, made by the first call after that time). Another process's
   * erasure reaches this one within it (the read models are scrubbed by ContactErased in any case).
   * Default 1,000 ms.
   */
  cacheTtlMs?: number;
}

const toDataKey = (raw: Buffer): DataKey => ({
  encryption: createSecretKey(raw),
  ivKey: createHmac('sha256', raw).update('clientela sealed-field iv').digest(),
});

/**
 * A stored data key that is unwrapped on first use: a read that opens no personal field (see
 * openOnAccess) never pays for unwrapping its subjects' keys. A wrapped key that does not open
 * under its master key throws MasterKeyError there.
 */
class WrappedDataKey implements DataKey {
  private key: DataKey | undefined;

  constructor(
    private readonly master: MasterKey,
    private readonly subject: string,
    private readonly wrapped: Buffer,
  ) {}

  get encryption(): KeyObject {
    return this.unwrapped().encryption;
  }

  get ivKey(): Buffer {
    return this.unwrapped().ivKey;
  }

  private unwrapped(): DataKey {
    try {
      this.key ??= toDataKey(unwrapDataKey(this.master, this.subject, this.wrapped));
    } catch (error) {
      // Whose key it was, so that a read can name the event it failed on.
      throw error instanceof MasterKeyError && error.subject === undefined ? new MasterKeyError(error.message, this.subject) : error;
    }
    return this.key;
  }
}

/**
 * The per-person data keys, stored wrapped by the master key in PostgreSQL, whichever event store
 * runs. One query per batch of subjects; keys are created on first use.
 */
export class DataKeyRing {
  private readonly schema: string;
  // Live keys stay while the cache keeps them (the oldest go first), checked against recent
  // erasures instead of fetched again: a reader of a page of events from 300 people would otherwise
  // fetch 300 keys again every time they expired.
  private readonly cache: LRUCache<string, KeyState>;
  private readonly trustMs: number;
  /** When this process last looked for erasures (its clock), and what the server's clock said then. */
  private lookedAt = Number.NEGATIVE_INFINITY;
  private serverTimeLookedAt: Date | undefined;
  private looking: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly masterKeys: MasterKeys,
    options: DataKeyRingOptions = {},
  ) {
    this.schema = assertSchemaName(options.schema ?? 'privacy');
    this.cache = new LRUCache<string, KeyState>({ max: options.cacheSize ?? 100_000 });
    this.trustMs = options.cacheTtlMs ?? 1_000;
  }

  /** The keys of `subjects`: created for those without one when `create`, else missing keys throw DataKeyMissingError. */
  async keysFor(subjects: Iterable<string>, create: boolean): Promise<Map<string, KeyState>> {
    await this.lookForErasures();
    const found = new Map<string, KeyState>();
    const unknown: string[] = [];
    for (const subject of subjects instanceof Set ? (subjects as Set<string>) : new Set(subjects)) {
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
      this.cache.set(subject, state);
      found.set(subject, state);
    }
    return found;
  }

  /**
   * Marks the cached keys that another process destroyed as erased, at most once per `cacheTtlMs`
   * (concurrent callers share one look). It looks from 30 s before its last look, by the server's
   * clock: `destroy` stamps a key with the time its statement started, so an erasure that committed
   * just after a look, stamped just before it, is seen by the next one.
   */
  private async lookForErasures(): Promise<void> {
    if (Date.now() - this.lookedAt < this.trustMs) return;
    this.looking ??= (async () => {
      const started = Date.now();
      // The first look only reads the clock: nothing is cached before it.
      const since = this.serverTimeLookedAt ? new Date(this.serverTimeLookedAt.getTime() - 30_000) : null;
      const { rows } = await this.pool.query<{ now: Date; subjects: string[] }>(
        `select statement_timestamp() as now,
                array(select subject from ${this.schema}.data_keys where destroyed_at >= $1::timestamptz) as subjects`,
        [since],
      );
      for (const subject of rows[0].subjects) if (this.cache.has(subject)) this.cache.set(subject, 'erased');
      this.serverTimeLookedAt = rows[0].now;
      this.lookedAt = started;
    })().finally(() => {
      this.looking = undefined;
    });
    await this.looking;
  }

  /** Destroys the keys of `subjects` for good (their sealed data reads as erased from now on); answers how many were live. */
  async destroy(subjects: readonly string[]): Promise<number> {
    for (const subject of subjects) this.cache.set(subject, 'erased');
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
    // One randomBytes for every key and its wrapping's IV: a call costs about 5 µs, whatever its size.
    const raw = randomBytes((32 + WRAP_IV_BYTES) * subjects.length);
    const fresh = new Map<string, Buffer>();
    const wrapped = subjects.map((subject, i) => {
      const at = (32 + WRAP_IV_BYTES) * i;
      const key = raw.subarray(at, at + 32);
      fresh.set(subject, key);
      return wrapDataKey(this.masterKeys.current, subject, key, raw.subarray(at + 32, at + 32 + WRAP_IV_BYTES));
    });
    const { rows } = await this.pool.query<KeyRow & { created: boolean }>(
      `with created as (
         insert into ${this.schema}.data_keys (subject, master_key_id, wrapped_key)
         select s, $2, w from unnest($1::text[], $3::bytea[]) as n(s, w)
         on conflict (subject) do nothing
         returning subject)
       select subject, null::text as master_key_id, null::bytea as wrapped_key, true as created from created
       union all
       select subject, master_key_id, wrapped_key, false from ${this.schema}.data_keys
        where subject = any($1::text[]) and subject not in (select subject from created)`,
      [subjects, this.masterKeys.current.id, wrapped],
    );
    // The keys this statement created are known in clear already: not sent back, not unwrapped.
    return this.statesOf(rows, (row) => (row.created ? fresh.get(row.subject) : undefined));
  }

  private async load(subjects: readonly string[]): Promise<Map<string, KeyState>> {
    const { rows } = await this.pool.query<KeyRow>(
      `select subject, master_key_id, wrapped_key from ${this.schema}.data_keys where subject = any($1::text[])`,
      [subjects],
    );
    return this.statesOf(rows);
  }

  private statesOf<R extends KeyRow>(rows: readonly R[], known: (row: R) => Buffer | undefined = () => undefined): Map<string, KeyState> {
    const states = new Map<string, KeyState>();
    for (const row of rows) {
      const raw = known(row);
      if (raw) states.set(row.subject, toDataKey(raw));
      else if (row.wrapped_key === null || row.master_key_id === null) states.set(row.subject, 'erased');
      // The master key is looked up now (a configuration without it fails at once); unwrapping waits for first use.
      else states.set(row.subject, new WrappedDataKey(masterKeyById(this.masterKeys, row.master_key_id), row.subject, row.wrapped_key));
    }
    return states;
  }
}

interface KeyRow {
  subject: string;
  master_key_id: string | null;
  wrapped_key: Buffer | null;
}
