import type { Pool } from 'pg';
import { StreamNotFoundError, type EventStore } from '@clientela/event-store';
import type { StreamId } from '@clientela/contracts';
import { IDENTIFIERS_PROJECTION } from './ingest.projections';
import type { Claim } from './resolution';

/**
 * What identity resolution knows of the claim streams: a bounded in-process cache of the claims
 * this process wrote or read, over the `ingest_identifiers` read model (one query per batch for
 * the keys the cache lacks). Either may be behind the streams; the append's expected revisions
 * catch that, and `reload` reads the stream itself, which is always right.
 */
export class IdentifierClaims {
  private readonly cache = new Map<string, Claim>();

  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly maxEntries = 500_000,
  ) {}

  readonly get = (key: string): Claim | undefined => this.cache.get(key);

  /** Makes sure the cache holds what the read model knows of these keys. */
  async load(keys: Iterable<string>): Promise<void> {
    const missing = [...new Set(keys)].filter((key) => !this.cache.has(key));
    if (missing.length === 0) return;
    let rows: Array<{ identifier: string; contact_ids: string[]; revision: string }>;
    try {
      ({ rows } = await this.pool.query<{ identifier: string; contact_ids: string[]; revision: string }>(
        `select identifier::text, array_agg(contact_id::text order by revision) as contact_ids, max(revision)::text as revision
           from proj_${IDENTIFIERS_PROJECTION}.claims where identifier = any($1::uuid[]) group by identifier`,
        [missing],
      ));
    } catch (error) {
      // Right after start the projection may not have made its table yet: knowing nothing is safe
      // (the claim streams' expected revisions decide), only slower.
      if ((error as { code?: string }).code === '42P01') return;
      throw error;
    }
    for (const row of rows) this.set(row.identifier, { contactIds: row.contact_ids, revision: Number(row.revision) });
  }

  /** The claims a successful append left. */
  remember(claims: ReadonlyMap<string, Claim>): void {
    for (const [key, claim] of claims) this.set(key, claim);
  }

  /** Reads a claim stream the append found ahead of what we knew. */
  async reload(key: string): Promise<void> {
    try {
      const events = await this.store.readStream(`identifier-${key}` as StreamId);
      const last = events[events.length - 1];
      this.set(key, { contactIds: events.map((e) => String(e.data.contactId)), revision: last ? last.revision : -1 });
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
      this.cache.delete(key);
    }
  }

  private set(key: string, claim: Claim): void {
    this.cache.delete(key);
    this.cache.set(key, claim);
    // Oldest first out: Map keeps insertion order, and set() re-inserts what is used.
    while (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
  }
}
