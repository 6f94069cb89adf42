import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { useTestWorld } from '@clientela/testing';
import { createTablesSql, defineProjection, type RowChange, type RowProjection } from './projection';
import { writeRowChanges } from './sql-writer';

/** Every column type a read model can have, written through the one JSON parameter of each statement. */
describe('row changes written to PostgreSQL', () => {
  const world = useTestWorld({ name: 'projections_sql_writer' });
  let pool: Pool;
  const schema = `writer_${randomUUID().slice(0, 8)}`;
  const projection = defineProjection<RowProjection>({
    name: 'every_type',
    version: 1,
    eventTypes: ['Written'],
    tables: {
      every_type: {
        columns: {
          id: 'uuid',
          label: { type: 'text', nullable: true },
          small: { type: 'integer', nullable: true },
          big: { type: 'bigint', nullable: true },
          amount: { type: 'numeric', default: '0' },
          ratio: { type: 'double precision', nullable: true },
          flag: { type: 'boolean', nullable: true },
          at: { type: 'timestamptz', nullable: true },
          day: { type: 'date', nullable: true },
          doc: { type: 'jsonb', nullable: true },
        },
        primaryKey: ['id'],
      },
      pairs: { columns: { a: 'text', b: 'integer', n: { type: 'integer', default: '0' } }, primaryKey: ['a', 'b'], fillfactor: 70 },
    },
    project: () => [],
  });

  const write = async (changes: RowChange[]): Promise<void> => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`set local search_path to ${schema}`);
      await writeRowChanges(client, projection, changes);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
  };

  beforeAll(async () => {
    pool = world.pool;
    await pool.query(`create schema ${schema}; set search_path to ${schema}; ${createTablesSql(projection)}`);
  });

  it('creates a table with the fillfactor its definition asks for, and refuses one PostgreSQL would not take', async () => {
    const { rows } = await pool.query<{ relname: string; reloptions: string[] | null }>(
      `select c.relname, c.reloptions from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'r' order by c.relname`,
      [schema],
    );
    expect(rows).toEqual([
      { relname: 'every_type', reloptions: null },
      { relname: 'pairs', reloptions: ['fillfactor=70'] },
    ]);
    const withFillfactor = (fillfactor: number) => () =>
      defineProjection<RowProjection>({ ...projection, tables: { t: { columns: { id: 'uuid' }, primaryKey: ['id'], fillfactor } } });
    expect(withFillfactor(5)).toThrow(/fillfactor must be an integer from 10 to 100, got 5/);
    expect(withFillfactor(70.5)).toThrow(TypeError);
    expect(withFillfactor(100)).not.toThrow();
  });

  it('stores each value as its column reads it: text that arrays had to escape, numbers beyond JSON, JSON text, nulls', async () => {
    const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()];
    const awkward = 'a "quoted", {braced} \\ back\\slash, NULL, ünï\u00e7ødé 😀\nnew line';
    await write([
      {
        table: 'every_type',
        key: { id: first },
        set: {
          label: awkward,
          small: 42,
          big: '9007199254740993',
          ratio: 0.1,
          flag: true,
          at: '2026-12-02T10:11:12.345Z',
          day: '1997-01-01',
          doc: '{"a": [1, 2], "b": "x"}',
        },
        add: { amount: '12.50' },
      },
      { table: 'every_type', key: { id: second }, set: { label: 'NULL', ratio: Number.NaN, flag: false, doc: null }, add: { amount: 0.1 } },
      { table: 'every_type', key: { id: third }, set: { label: '', ratio: Number.POSITIVE_INFINITY, small: null } },
      { table: 'every_type', key: { id: second }, add: { amount: 0.2 } },
    ]);
    const { rows } = await pool.query(
      `select id, label, small, big::text, amount::text, ratio::text, flag, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') as at,
              day::text, doc from ${schema}.every_type order by label nulls first`,
    );
    const byId = new Map(rows.map((row: { id: string }) => [row.id, row]));
    expect(byId.get(first)).toEqual({
      id: first,
      label: awkward,
      small: 42,
      big: '9007199254740993',
      amount: '12.50',
      ratio: '0.1',
      flag: true,
      at: '2026-12-02T10:11:12.345',
      day: '1997-01-01',
      doc: { a: [1, 2], b: 'x' },
    });
    // 'NULL' is text, not a null; NaN and Infinity reach a double precision column as such.
    expect(byId.get(second)).toMatchObject({ label: 'NULL', ratio: 'NaN', flag: false, doc: null, amount: '0.3' });
    expect(byId.get(third)).toMatchObject({ label: '', ratio: 'Infinity', small: null, amount: '0' });
  });

  it('deletes by composite keys, then writes the rows that follow the delete in the same batch', async () => {
    await write([
      { table: 'pairs', key: { a: 'x', b: 1 }, add: { n: 1 } },
      { table: 'pairs', key: { a: 'x', b: 2 }, add: { n: 2 } },
      { table: 'pairs', key: { a: 'y', b: 1 }, add: { n: 3 } },
    ]);
    await write([
      { table: 'pairs', key: { a: 'x', b: 1 }, delete: true },
      { table: 'pairs', key: { a: 'y', b: 1 }, delete: true },
      { table: 'pairs', key: { a: 'y', b: 1 }, add: { n: 10 } },
    ]);
    const { rows } = await pool.query(`select a, b, n from ${schema}.pairs order by a, b`);
    expect(rows).toEqual([
      { a: 'x', b: 2, n: 2 },
      { a: 'y', b: 1, n: 10 },
    ]);
  });
});
