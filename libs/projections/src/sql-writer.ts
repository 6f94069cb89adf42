import type { PoolClient } from 'pg';
import type { RecordedEvent } from '@clientela/contracts';
import { columnDefinition, isRowProjection, type Projection, type Scalar } from './projection';
import { mergeRowChanges, type RowWrite } from './row-changes';
import type { RowChange } from './projection';

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;

/** A batch's statements, worked out ahead of its transaction (see planProjectionWrites). */
export interface PlannedWrites {
  readonly events: readonly RecordedEvent[];
  readonly statements: ReadonlyArray<{ text: string; values: unknown[] }>;
  /** Called once the first statement is on its way: what PostgreSQL then works on, Node may plan the next page beside. */
  readonly whenWriting?: () => void;
}

/**
 * The statements of a row projection's changes for these events, without running them: the
 * runner works out the next batch's while PostgreSQL is busy with the previous one (projecting
 * and merging are about half of a build's time). Undefined for a projection that writes by itself.
 * Throws what writing would throw (a change the tables do not allow, say).
 */
export const planProjectionWrites = (projection: Projection, events: readonly RecordedEvent[]): PlannedWrites | undefined =>
  isRowProjection(projection) ? { events, statements: planRowChanges(projection, events.flatMap((event) => projection.project(event))) } : undefined;

/**
 * The projection's changes for these events, written into the copy in `schema`, in the caller's
 * transaction (it sets the transaction's search_path, unless `searchPathSet` says the caller did).
 * The runner's batches and the Kafka handler both write through here. `planned`: the statements
 * planned for exactly these events.
 */
export const writeProjectionEvents = async (
  client: PoolClient,
  projection: Projection,
  schema: string,
  events: readonly RecordedEvent[],
  planned?: PlannedWrites,
  searchPathSet = false,
): Promise<void> => {
  if (events.length === 0) return;
  if (!searchPathSet) await client.query(`set local search_path to ${schema}`);
  if (!isRowProjection(projection)) return projection.apply(events, { client, schema });
  const plan = planned?.events === events ? planned.statements : planRowChanges(projection, events.flatMap((event) => projection.project(event)));
  for (let i = 0; i < plan.length; i++) {
    const written = client.query(plan[i].text, plan[i].values);
    if (i === 0) planned?.whenWriting?.();
    await written;
  }
};

/**
 * Writes a batch of row changes with one statement per table and shape (which columns, which
 * operations), its rows in one JSON parameter, instead of one statement per event.
 */
export const writeRowChanges = async (client: PoolClient, projection: Projection, changes: RowChange[]): Promise<void> => {
  for (const statement of planRowChanges(projection, changes)) await client.query(statement.text, statement.values);
};

const planRowChanges = (projection: Projection, changes: RowChange[]): Array<{ text: string; values: unknown[] }> => {
  const statements: Array<{ text: string; values: unknown[] }> = [];
  // Writes of one batch have few shapes: the sorted form of each column order is worked out once.
  const sortedShapes = new Map<string, string>();
  for (const round of mergeRowChanges(changes)) {
    const groups = new Map<string, RowWrite[]>();
    for (const write of round) {
      let columns = '';
      for (const [c, w] of write.columns) columns += `${c}:${w.op},`;
      let shape = sortedShapes.get(columns);
      if (shape === undefined) {
        shape = columns.split(',').sort().join(',');
        sortedShapes.set(columns, shape);
      }
      shape = `${write.table}|${write.deleteFirst}|${shape}`;
      const group = groups.get(shape) ?? [];
      group.push(write);
      groups.set(shape, group);
    }
    for (const writes of groups.values()) statements.push(...groupStatements(projection, writes));
  }
  return statements;
};

const groupStatements = (projection: Projection, writes: RowWrite[]): Array<{ text: string; values: unknown[] }> => {
  const statements: Array<{ text: string; values: unknown[] }> = [];
  const first = writes[0];
  const table = projection.tables[first.table];
  if (!table) throw new TypeError(`projection ${projection.name} wrote to unknown table "${first.table}"`);
  const typeOf = (column: string): string => {
    const definition = table.columns[column];
    if (!definition) throw new TypeError(`projection ${projection.name}: table ${first.table} has no column "${column}"`);
    return columnDefinition(definition).type;
  };
  const keyColumns = [...table.primaryKey];
  for (const write of writes) {
    for (const k of keyColumns) {
      if (write.key[k] === undefined || write.key[k] === null) {
        throw new TypeError(`projection ${projection.name}: a change to ${first.table} has no value for key column "${k}"`);
      }
    }
  }
  /** The rows of the statement's one JSON parameter, each value cast to its column's type. */
  const fromRows = (columns: string[]) =>
    `select ${columns.map((c, i) => `(r->>${i})::${typeOf(c)}`).join(', ')} from jsonb_array_elements($1::jsonb) as r`;

  if (first.deleteFirst) {
    statements.push({
      text: `delete from ${quote(first.table)} where (${keyColumns.map(quote).join(', ')}) in (${fromRows(keyColumns)})`,
      values: [rowsJson(writes.map((w) => keyColumns.map((k) => w.key[k])))],
    });
  }
  const columns = [...first.columns.keys()].filter((c) => !keyColumns.includes(c));
  if (first.columns.size === 0 && first.deleteFirst) return statements;
  const rows = writes.map((w) => {
    const row: Scalar[] = keyColumns.map((k) => w.key[k]);
    for (const c of columns) row.push(w.columns.get(c)?.value ?? null);
    return row;
  });
  const all = [...keyColumns, ...columns];
  const t = quote(first.table);
  const updates = columns.map((c) => {
    const op = first.columns.get(c)?.op;
    const q = quote(c);
    if (op === 'add') return `${q} = coalesce(cur.${q}, 0) + excluded.${q}`;
    if (op === 'max') return `${q} = greatest(cur.${q}, excluded.${q})`;
    if (op === 'min') return `${q} = least(cur.${q}, excluded.${q})`;
    return `${q} = excluded.${q}`;
  });
  statements.push({
    text: `insert into ${t} as cur (${all.map(quote).join(', ')})
     ${fromRows(all)}
     on conflict (${keyColumns.map(quote).join(', ')}) do ${updates.length ? `update set ${updates.join(', ')}` : 'nothing'}`,
    values: [rowsJson(rows)],
  });
  return statements;
};

/**
 * Rows of values as one JSON array, the parameter a write statement unpacks with
 * jsonb_array_elements: pg's client escaped each element of typed arrays one by one (about 1 µs an
 * event of a rebuild, and as much again in collecting the strings it made), JSON.stringify does it
 * natively. JSON has no NaN or Infinity: those go as the text PostgreSQL reads them from.
 */
const rowsJson = (rows: Scalar[][]): string => {
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const value = row[i];
      if (typeof value === 'number' && !Number.isFinite(value)) row[i] = String(value);
    }
  }
  return JSON.stringify(rows);
};
