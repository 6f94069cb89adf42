import type { Pool } from 'pg';
import { MessagingUnavailableError, isConnectionError } from './errors';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

export const assertSchema = (schema: string): string => {
  if (!SCHEMA_NAME.test(schema)) throw new TypeError(`schema "${schema}" must be lower-case letters, digits and _`);
  return schema;
};

/**
 * The messaging tables, in their own schema: what each consumer has handled (its idempotency
 * record), checkpoints of the relay and of standalone consumers, dead letters of standalone mode, and
 * replays (`clientela replay`: where each one got to, so an interrupted one resumes).
 */
export const migrateMessaging = async (pool: Pool, schema = 'messaging'): Promise<void> => {
  assertSchema(schema);
  const client = await pool.connect().catch((error: unknown) => {
    throw new MessagingUnavailableError(`cannot migrate ${schema}: ${String(error)}`, error);
  });
  try {
    await client.query('begin');
    // Several processes start at once; one migrates, the others wait and find it done.
    await client.query(`select pg_advisory_xact_lock(hashtext($1))`, [`clientela.${schema}`]);
    await client.query(`
      create schema if not exists ${schema};
      create table if not exists ${schema}.handled_events (
        consumer text not null,
        event_key text not null,
        handled_at timestamptz not null default now(),
        primary key (consumer, event_key));
      create table if not exists ${schema}.checkpoints (
        name text primary key,
        position text not null,
        updated_at timestamptz not null default now());
      create table if not exists ${schema}.dead_letters (
        id bigserial primary key,
        consumer text not null,
        event_key text,
        event_type text,
        code text not null,
        reason text not null,
        attempts int not null,
        origin jsonb not null,
        headers jsonb not null,
        value text not null,
        failed_at timestamptz not null default now(),
        redrive_requested_at timestamptz,
        redriven_at timestamptz);
      create unique index if not exists dead_letters_open_key
        on ${schema}.dead_letters (consumer, event_key) where redriven_at is null;
      create table if not exists ${schema}.replays (
        id text primary key,
        arguments jsonb not null,
        end_position text not null,
        position text not null,
        sent bigint not null default 0,
        started_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        finished_at timestamptz);`);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw isConnectionError(error) ? new MessagingUnavailableError(`cannot migrate ${schema}: ${String(error)}`, error) : error;
  } finally {
    client.release();
  }
};
