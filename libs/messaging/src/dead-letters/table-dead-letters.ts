import type { Pool, PoolClient } from 'pg';
import { toEnvelopeJson } from '@clientela/contracts';
import { assertSchemaName } from '@clientela/postgres';
import type { MessageOrigin } from '../message';
import { originKey, type DeadLetter, type DeadLetterSink, type StoredDeadLetter } from './dead-letter';

interface DeadLetterRow {
  id: string;
  consumer: string;
  event_key: string | null;
  event_type: string | null;
  code: string;
  reason: string;
  attempts: number;
  origin: MessageOrigin;
  headers: Record<string, string>;
  value: string;
  failed_at: Date;
  redrive_requested_at: Date | null;
}

const toStored = (row: DeadLetterRow): StoredDeadLetter => ({
  id: row.id,
  consumer: row.consumer,
  code: row.code,
  reason: row.reason,
  attempts: row.attempts,
  failedAt: row.failed_at.toISOString(),
  eventKey: row.event_key ?? undefined,
  eventType: row.event_type ?? undefined,
  origin: row.origin,
  headers: row.headers,
  value: row.value,
  redriveRequested: row.redrive_requested_at !== null,
});

/**
 * Dead letters of standalone mode, in PostgreSQL. Re-driving marks rows; the consumer they belong to
 * picks them up and handles them again, so the call works from any process (the CLI, the admin API).
 */
export class TableDeadLetters implements DeadLetterSink {
  private readonly schema: string;

  constructor(
    private readonly pool: Pool,
    schema = 'messaging',
  ) {
    this.schema = assertSchemaName(schema);
  }

  async write(letter: DeadLetter, tx?: PoolClient): Promise<void> {
    const { message } = letter;
    const value = message.value !== '' || !message.event ? message.value : JSON.stringify(toEnvelopeJson(message.event));
    // One open dead letter per consumer and message: a redelivery after a crash updates it.
    await (tx ?? this.pool).query(
      `insert into ${this.schema}.dead_letters (consumer, event_key, event_type, code, reason, attempts, origin, headers, value, failed_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       on conflict (consumer, event_key) where redriven_at is null
       do update set code = excluded.code, reason = excluded.reason, attempts = excluded.attempts,
                     failed_at = excluded.failed_at, redrive_requested_at = null`,
      [
        letter.consumer,
        letter.eventKey ?? originKey(letter.message.origin),
        letter.eventType ?? null,
        letter.code,
        letter.reason,
        letter.attempts,
        JSON.stringify(letter.message.origin),
        JSON.stringify(letter.message.headers),
        value,
        letter.failedAt,
      ],
    );
  }

  /** Open dead letters (not re-driven yet), oldest first. */
  async list(filter: { consumer?: string; limit?: number } = {}): Promise<StoredDeadLetter[]> {
    const { rows } = await this.pool.query<DeadLetterRow>(
      `select id::text, consumer, event_key, event_type, code, reason, attempts, origin, headers, value, failed_at, redrive_requested_at
         from ${this.schema}.dead_letters
        where redriven_at is null and ($1::text is null or consumer = $1)
        order by id limit $2`,
      [filter.consumer ?? null, filter.limit ?? 1000],
    );
    return rows.map(toStored);
  }

  /** Asks the owning consumers to handle these dead letters again (all open ones of `consumer` when no ids). */
  async redrive(selection: { consumer?: string; ids?: readonly string[] }): Promise<number> {
    const { rowCount } = await this.pool.query(
      `update ${this.schema}.dead_letters set redrive_requested_at = now()
        where redriven_at is null and ($1::text is null or consumer = $1) and ($2::bigint[] is null or id = any($2::bigint[]))`,
      [selection.consumer ?? null, selection.ids ? [...selection.ids] : null],
    );
    return rowCount ?? 0;
  }

  /** Re-drive requests of one consumer: the rows and the original events. */
  async requested(consumer: string, limit = 100): Promise<Array<StoredDeadLetter>> {
    const { rows } = await this.pool.query<DeadLetterRow>(
      `select id::text, consumer, event_key, event_type, code, reason, attempts, origin, headers, value, failed_at, redrive_requested_at
         from ${this.schema}.dead_letters
        where consumer = $1 and redriven_at is null and redrive_requested_at is not null
        order by id limit $2`,
      [consumer, limit],
    );
    return rows.map(toStored);
  }

  /** Closes a dead letter once it has been handled again (or dead-lettered anew under a fresh row). */
  async markRedriven(id: string, tx?: PoolClient): Promise<void> {
    await (tx ?? this.pool).query(`update ${this.schema}.dead_letters set redriven_at = now() where id = $1`, [id]);
  }
}
