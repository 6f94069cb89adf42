import type { Pool } from 'pg';
import { assertSchemaName, migrate, type Migration } from '@clientela/postgres';

/** Where runners keep their checkpoints, status and dead letters. One per database. */
export const DEFAULT_REGISTRY_SCHEMA = 'projections';
export const CHECKPOINT_CHANNEL = 'projection_checkpoints';
/** Commands to the active runners: the payload is `rebuild:<projection>`. */
export const COMMAND_CHANNEL = 'projection_commands';

/** The schema-name check every library uses, under the name callers import from here. */
export const assertRegistrySchema = assertSchemaName;

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'state and dead letters',
    sql: (s) => `      create table ${s}.state (
        name text primary key,
        version int not null,
        -- position of the last event applied (or passed over), as a decimal: see Position
        position numeric(40, 0) not null default 0,
        status text not null,
        events_applied bigint not null default 0,
        events_per_second double precision not null default 0,
        last_error text,
        last_error_at timestamptz,
        owner text,
        rebuild_version int,
        rebuild_position numeric(40, 0),
        rebuild_head numeric(40, 0),
        rebuild_events bigint,
        rebuild_started_at timestamptz,
        -- set by requestProjectionRebuild(); the active runner rebuilds and clears it
        rebuild_requested_at timestamptz,
        updated_at timestamptz not null default now()
      );
      create table ${s}.dead_letters (
        id bigint generated always as identity primary key,
        projection text not null,
        event_id uuid not null,
        event_type text not null,
        stream_id text not null,
        position numeric(40, 0) not null,
        event jsonb not null,
        reason text not null,
        attempts int not null,
        failed_at timestamptz not null default now(),
        unique (projection, event_id)
      );`,
  },
  {
    version: 2,
    name: 'swap position',
    // The store position a rebuild's swap brought the live copy to. A runner that follows Kafka
    // passes over events at or below it: they are in the copy already.
    sql: (s) => `alter table ${s}.state add column swap_position numeric(40, 0) not null default 0;`,
  },
  {
    version: 3,
    name: 'built',
    // False while a copy that will follow Kafka waits for its first build from the store: its runner
    // builds it (again) at every start until a swap has brought it in. Copies that exist are built.
    sql: (s) => `alter table ${s}.state add column built boolean not null default true;`,
  },
  {
    version: 4,
    name: 'kafka offsets of the build',
    // From Kafka: the topics' end offsets read before the build that was swapped in, `{"<topic>:<partition>": "<offset>"}`.
    // The copy holds every message below them; a runner compares them with what retention kept (kafkaRetentionGap).
    sql: (s) => `alter table ${s}.state add column kafka_offsets jsonb;`,
  },
  {
    version: 5,
    name: 'filter',
    // The event types and categories the projection reads, written by its runner, so that a process
    // without the projection's code (the CLI, the gateway) can count its lag.
    sql: (s) => `alter table ${s}.state add column filter jsonb;`,
  },
  {
    version: 6,
    name: 'generation',
    // Counts the copies swapped in: a cache of what was derived from a projection's tables (the
    // customer view's) keeps the generation it read and is stale once it moves, since a rebuilt copy
    // may differ from the old one in rows whose own change counters came out the same.
    sql: (s) => `alter table ${s}.state add column generation bigint not null default 0;`,
  },
];

/** Creates or upgrades the registry, once per database, under an advisory lock. */
export const migrateRegistry = async (pool: Pool, schema: string): Promise<void> => {
  await migrate(pool, schema, MIGRATIONS);
};

/**
 * Asks the active runner of a projection, in whatever process it runs, to rebuild it (the CLI
 * and admin API call this). Returns false when the projection has never run here.
 */
export const requestProjectionRebuild = async (pool: Pool, name: string, schema = DEFAULT_REGISTRY_SCHEMA): Promise<boolean> => {
  const registry = assertRegistrySchema(schema);
  const { rowCount } = await pool.query(`update ${registry}.state set rebuild_requested_at = now() where name = $1`, [name]);
  if (rowCount !== 1) return false;
  await pool.query('select pg_notify($1, $2)', [COMMAND_CHANNEL, `rebuild:${name}`]);
  return true;
};
