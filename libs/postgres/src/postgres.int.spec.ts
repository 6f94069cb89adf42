import { useTestWorld } from '@clientela/testing';
import type { Pool } from 'pg';
import { assertSchemaName, migrate, type Migration } from './migrations';
import { withTransaction } from './with-transaction';

describe('@clientela/postgres', () => {
  const world = useTestWorld({ name: 'clientela_pg', pool: { max: 2 } });
  let pool: Pool;

  beforeAll(() => {
    pool = world.pool;
  });

  describe('migrate', () => {
    const migrations: Migration[] = [
      { version: 1, name: 'table', sql: (s) => `create table if not exists ${s}.things (id int primary key)` },
      { version: 2, name: 'column', sql: (s) => `alter table ${s}.things add column label text` },
    ];

    it('applies each version once, in order, also when processes migrate at the same moment', async () => {
      const runs = await Promise.all([migrate(pool, 'concurrent', migrations), migrate(pool, 'concurrent', migrations)]);
      expect(runs.flat().sort()).toEqual([1, 2]);
      expect(await migrate(pool, 'concurrent', migrations)).toEqual([]);
    });

    it('goes on from a schema made before it was versioned, when version 1 is written `if not exists`', async () => {
      await pool.query('create schema unversioned; create table unversioned.things (id int primary key)');
      expect(await migrate(pool, 'unversioned', migrations)).toEqual([1, 2]);
      const { rows } = await pool.query<{ version: number }>('select version from unversioned.schema_migrations order by version');
      expect(rows.map((r) => r.version)).toEqual([1, 2]);
    });

    it('leaves a failed migration unrecorded and what came before it applied', async () => {
      const failing: Migration[] = [migrations[0]!, { version: 2, name: 'bad', sql: () => 'select * from nowhere' }];
      await expect(migrate(pool, 'failing', failing)).rejects.toThrow(/nowhere/);
      const { rows } = await pool.query<{ version: number }>('select version from failing.schema_migrations');
      expect(rows.map((r) => r.version)).toEqual([1]);
    });

    it('refuses a schema name that is not plain lower-case', () => {
      expect(() => assertSchemaName('Robert"; drop')).toThrow(TypeError);
      expect(() => assertSchemaName('a'.repeat(42))).toThrow(TypeError);
      expect(assertSchemaName('event_store')).toBe('event_store');
    });
  });

  describe('withTransaction', () => {
    beforeAll(() => pool.query('create table counter (n int)'));

    it('commits what the work did, and rolls it back when the work throws or says not to commit', async () => {
      await withTransaction(pool, (client) => client.query('insert into counter values (1)'));
      await expect(withTransaction(pool, async (client) => {
        await client.query('insert into counter values (2)');
        throw new Error('refused');
      })).rejects.toThrow('refused');
      await withTransaction(pool, (client) => client.query('insert into counter values (3)').then(() => 'undo'), { commitIf: (r) => r !== 'undo' });
      const { rows } = await pool.query<{ n: number }>('select n from counter');
      expect(rows.map((r) => r.n)).toEqual([1]);
    });

    it('discards a connection that broke during the work instead of handing it to the next caller', async () => {
      await expect(
        withTransaction(pool, (client) => client.query('select pg_terminate_backend(pg_backend_pid())')),
      ).rejects.toThrow();
      // With two connections at most, a broken one returned to the pool would fail one of these.
      const answers = await Promise.all([pool.query('select 1 as one'), pool.query('select 1 as one')]);
      expect(answers.map((a) => a.rows[0].one)).toEqual([1, 1]);
    });
  });
});
