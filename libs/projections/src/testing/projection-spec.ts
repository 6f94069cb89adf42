import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@clientela/contracts';
import { columnDefinition, type RowProjection, type TableDefinition } from '../projection';
import { applyInMemory, type Row, type RowsInMemory } from '../row-changes';

export type GivenEvent = { type: string; data: object; streamId?: string };

let fakePosition = 0n;

/** A recorded event for a projection test; only type and data matter to a pure projection. */
export const recorded = (event: GivenEvent): RecordedEvent => ({
  id: randomUUID(),
  type: event.type,
  streamId: event.streamId ?? `test-${randomUUID()}`,
  revision: 0,
  position: ++fakePosition,
  data: event.data as Record<string, unknown>,
  metadata: { schemaVersion: 1 },
  recordedAt: new Date(0),
});

/** A new row as PostgreSQL starts it: every column null, or its default when that is a literal. */
const newRowOf = (definition: TableDefinition): Row =>
  Object.fromEntries(
    Object.entries(definition.columns).map(([name, column]) => {
      const fallback = columnDefinition(column).default;
      if (fallback === undefined) return [name, null];
      if (/^-?\d+(\.\d+)?$/.test(fallback)) return [name, Number(fallback)];
      const text = /^'(.*)'$/.exec(fallback);
      if (text) return [name, text[1].replace(/''/g, "'")];
      if (fallback === 'true' || fallback === 'false') return [name, fallback === 'true'];
      throw new TypeError(`projectInMemory cannot evaluate the default ${fallback} of column ${name}`);
    }),
  );

/** The rows a pure projection makes of these events, per table, sorted by primary key. */
export const projectInMemory = (projection: RowProjection, events: readonly GivenEvent[]): Record<string, Row[]> => {
  const tables: RowsInMemory = new Map();
  const newRow = (table: string) => newRowOf(projection.tables[table]);
  for (const event of events) for (const change of projection.project(recorded(event))) applyInMemory(tables, change, newRow);
  const result: Record<string, Row[]> = {};
  for (const [name, definition] of Object.entries(projection.tables)) {
    const rows = [...(tables.get(name)?.values() ?? [])];
    const key = (row: Row) => JSON.stringify(definition.primaryKey.map((k) => row[k]));
    result[name] = rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
  return result;
};

/** Given events / then rows: `projectionSpec(p).given([placed]).thenRows({ customer_revenue: [...] })`. */
export const projectionSpec = (projection: RowProjection) => ({
  given: (events: readonly GivenEvent[]) => ({
    thenRows: (expected: Record<string, Array<Record<string, unknown>>>) => {
      const actual = projectInMemory(projection, events);
      for (const [table, rows] of Object.entries(expected)) expect(actual[table]).toEqual(rows);
    },
  }),
});
