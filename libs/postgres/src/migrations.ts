import type { Pool } from 'pg';
import { isConnectionError } from './connection-errors';

/** One step of a schema's history. `version`s are never renumbered: databases record which ones they have. */
export interface Migration {
  version: number;
  name: string;
  /** The statements, for the schema named. */
  sql: (schema: string) => string;
}

// Room under PostgreSQL's 63 bytes for names made from a schema's (`<schema>_events`, …).
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,40}$/;

/** The one check of a schema name before it is put into SQL: lower-case letters, digits and _, at most 41. */
export const assertSchemaName = (schema: string): string => {
  if (!SCHEMA_NAME.test(schema)) throw new TypeError(`schema name "${schema}" must be lower-case letters, digits and _ (at most 41)`);
  return schema;
};

/**
 * Applies the migrations of `schema` not yet recorded in its `schema_migrations` table, in
 * version order, each in its own transaction, under an advisory lock so that processes starting
 * together do not race: one migrates, the others wait and find it done. Answers the versions
 * it applied.
 */
export const migrate = async (pool: Pool, schema: string, migrations: readonly Migration[]): Promise<number[]> => {
  assertSchemaName(schema);
  const lock = `clientela.migrate.${schema}`;
  const client = await pool.connect();
  let broken = false;
  const onError = () => (broken = true);
  client.on('error', onError);
  const applied: number[] = [];
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [lock]);
    await client.query(`create schema if not exists ${schema}`);
    await client.query(
      `create table if not exists ${schema}.schema_migrations (
         version int primary key, name text not null, applied_at timestamptz not null default now())`,
    );
    const { rows } = await client.query<{ version: number }>(`select version from ${schema}.schema_migrations`);
    const done = new Set(rows.map((r) => r.version));
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await client.query('begin');
      try {
        await client.query(migration.sql(schema));
        await client.query(`insert into ${schema}.schema_migrations (version, name) values ($1, $2)`, [migration.version, migration.name]);
        await client.query('commit');
        applied.push(migration.version);
      } catch (error) {
        await client.query('rollback').catch(() => (broken = true));
        throw error;
      }
    }
  } catch (error) {
    broken ||= isConnectionError(error);
    throw error;
  } finally {
    // A discarded connection ends its session, and with it the lock.
    if (!broken) await client.query('select pg_advisory_unlock(hashtext($1))', [lock]).catch(() => (broken = true));
    client.off('error', onError);
    client.release(broken);
  }
  return applied;
};
