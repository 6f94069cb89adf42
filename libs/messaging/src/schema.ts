import type { Pool } from 'pg';
import { assertSchemaName, isConnectionError, migrate, type Migration } from '@clientela/postgres';
import { MessagingUnavailableError } from './errors';

/** The schema-name check every library uses; kept under this name for the callers that import it from here. */
export const assertSchema = assertSchemaName;

// Version 1 is the schema as it stood before it was versioned, written `if not exists` so that a
// database migrated by the earlier unversioned code records it and goes on. Append new ones.
const MESSAGING_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'handled events, checkpoints, dead letters, replays',
    sql: (s) => `
      create table if not exists ${s}.handled_events (
        consumer text not null,
        event_key text not null,
        handled_at timestamptz not null default now(),
        primary key (consumer, event_key));
      create table if not exists ${s}.checkpoints (
        name text primary key,
        position text not null,
        updated_at timestamptz not null default now());
      create table if not exists ${s}.dead_letters (
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
        on ${s}.dead_letters (consumer, event_key) where redriven_at is null;
      create table if not exists ${s}.replays (
        id text primary key,
        arguments jsonb not null,
        end_position text not null,
        position text not null,
        sent bigint not null default 0,
        started_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        finished_at timestamptz);`,
  },
];

/**
 * The messaging tables, in their own schema: what each consumer has handled (its idempotency
 * record), checkpoints of the relay and of standalone consumers, dead letters of standalone mode, and
 * replays (`clientela replay`: where each one got to, so an interrupted one resumes).
 */
export const migrateMessaging = async (pool: Pool, schema = 'messaging'): Promise<void> => {
  assertSchemaName(schema);
  try {
    await migrate(pool, schema, MESSAGING_MIGRATIONS);
  } catch (error) {
    throw isConnectionError(error) ? new MessagingUnavailableError(`cannot migrate ${schema}: ${String(error)}`, error) : error;
  }
};
