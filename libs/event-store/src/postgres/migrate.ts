import type { Pool } from 'pg';
import { EVENT_STORE_MIGRATIONS, type Migration } from './schema';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,40}$/;

export const assertSchemaName = (schema: string): string => {
  if (!SCHEMA_NAME.test(schema)) throw new TypeError(`schema name "${schema}" must be lower-case letters, digits and _`);
  return schema;
};

/**
 * Applies the migrations not yet applied, in order, each in its own transaction, under an
 * advisory lock so that processes starting together do not race.
 */
export const migrate = async (
  pool: Pool,
  schema: string,
  migrations: readonly Migration[] = EVENT_STORE_MIGRATIONS,
): Promise<number[]> => {
  assertSchemaName(schema);
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [`clientela.migrate.${schema}`]);
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
        await client.query(`insert into ${schema}.schema_migrations (version, name) values ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
        await client.query('commit');
        applied.push(migration.version);
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    }
  } finally {
    await client.query('select pg_advisory_unlock(hashtext($1))', [`clientela.migrate.${schema}`]).catch(() => undefined);
    client.release();
  }
  return applied;
};
