import type { PoolClient } from 'pg';
import type { RecordedEvent } from '@clientela/contracts';
import { columnDefinition, isRowProjection, type Projection, type RowProjection, type Scalar } from './projection';
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
  isRowProjection(projection) ? { events, statements: planRowChanges(projection, projectAll(projection, events)) } : undefined;

/** The row projection's changes for these events, in order. */
export const projectAll = (projection: RowProjection, events: readonly RecordedEvent[]): RowChange[] => {
  const changes: RowChange[] = [];
  for (const event of events) for (const change of projection.project(event)) changes.push(change);
  return changes;
};

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
  const plan = planned?.events === events ? planned.statements : planRowChanges(projection, projectAll(projection, events));
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
export const writeRowChanges = (client: PoolClient, projection: Projection, changes: RowChange[]): Promise<void> =>
  writeMergedRows(client, projection, mergeRowChanges(changes));

/** Rows a statement of writeMergedRows writes at most: its JSON parameter stays a few MB. */
const ROWS_PER_STATEMENT = 5_000;

/**
 * Writes merged row writes (a catch-up window's: up to hundreds of thousands of rows) in statements
 * of at most 5,000 rows, each built while PostgreSQL runs the one before, in the caller's transaction.
 */
export const writeMergedRows = async (client: PoolClient, projection: Projection, rounds: RowWrite[][]): Promise<void> => {
  let pending: Promise<unknown> | undefined;
  try {
    for (const statement of rowStatements(projection, rounds, ROWS_PER_STATEMENT)) {
      await pending;
      pending = client.query(statement.text, statement.values);
    }
    await pending;
  } catch (error) {
    await pending?.catch(() => undefined);
    throw error;
  }
};

/** Same table, same delete-first, the same columns with the same operations in the same order. */
const sameLayout = (a: RowWrite, b: RowWrite): boolean => {
  if (a.table !== b.table || a.deleteFirst !== b.deleteFirst || a.columns.length !== b.columns.length) return false;
  for (let i = 0; i < a.columns.length; i++) if (a.columns[i] !== b.columns[i] || a.ops[i] !== b.ops[i]) return false;
  return true;
};

/** Writes of one table, delete-first or not, with one set of (column, operation): one statement. */
const shapeOf = (write: RowWrite): string =>
  `${write.table}|${write.deleteFirst}|${write.columns
    .map((column, i) => `${column}:${write.ops[i]}`)
    .sort()
    .join(',')}`;

const planRowChanges = (projection: Projection, changes: RowChange[]): Array<{ text: string; values: unknown[] }> => [
  ...rowStatements(projection, mergeRowChanges(changes), Infinity),
];

/** The statements of merged writes, round by round, each group of one layout in statements of at most `rowsPerStatement` rows. */
function* rowStatements(projection: Projection, rounds: RowWrite[][], rowsPerStatement: number): Generator<{ text: string; values: unknown[] }> {
  for (const round of rounds) {
    const groups = new Map<string, RowWrite[]>();
    // A batch's writes come in a few layouts (one per kind of change, mostly): a write is matched
    // against those seen, column by column, before any shape string is built.
    const layouts: Array<{ write: RowWrite; group: RowWrite[] }> = [];
    for (const write of round) {
      const known = layouts.find((layout) => sameLayout(layout.write, write));
      if (known) {
        known.group.push(write);
        continue;
      }
      const shape = shapeOf(write);
      let group = groups.get(shape);
      if (!group) groups.set(shape, (group = []));
      group.push(write);
      if (layouts.length < 16) layouts.push({ write, group });
    }
    for (const writes of groups.values()) {
      if (writes.length <= rowsPerStatement) yield* groupStatements(projection, writes);
      else for (let from = 0; from < writes.length; from += rowsPerStatement) yield* groupStatements(projection, writes.slice(from, from + rowsPerStatement));
    }
  }
}

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
  if (first.columns.length === 0 && first.deleteFirst) return statements;
  const columns = first.columns.filter((c) => !keyColumns.includes(c));
  const at = columns.map((c) => first.columns.indexOf(c));
  const rows = writes.map((w) => {
    const row: Scalar[] = keyColumns.map((k) => w.key[k]);
    // The group's writes have the same columns, most in the first's order too.
    const inOrder = w === first || sameLayout(first, w);
    for (let i = 0; i < columns.length; i++) row.push(w.values[inOrder ? at[i] : w.columns.indexOf(columns[i])] ?? null);
    return row;
  });
  const all = [...keyColumns, ...columns];
  const t = quote(first.table);
  const updates = columns.map((c, i) => {
    const op = first.ops[at[i]];
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
