import type { RowChange, Scalar } from './projection';

export type ColumnOp = 'set' | 'add' | 'max' | 'min';

interface ColumnWrite {
  op: ColumnOp;
  value: Scalar;
}

/**
 * The net effect of consecutive changes to one row: optionally delete it first, then write columns.
 * The columns are three parallel arrays, in the order first written (a build merges millions of
 * changes: arrays of a few entries cost less to fill and search than a Map and an object per column).
 */
export interface RowWrite {
  table: string;
  key: Record<string, Scalar>;
  deleteFirst: boolean;
  columns: string[];
  ops: ColumnOp[];
  values: Scalar[];
}

/**
 * Adds decimals exactly (11.77 + 12.00 is 23.77, not 23.770000000000003), so that a read model
 * comes out the same whatever the batch boundaries were.
 */
export const addDecimals = (a: Scalar, b: Scalar): string => {
  const parse = (value: Scalar): [bigint, number] => {
    const text = typeof value === 'number' ? String(value) : String(value ?? 0);
    const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
    if (!match) throw new TypeError(`cannot add non-decimal value ${JSON.stringify(value)}`);
    const [, sign, whole, fraction = ''] = match;
    const digits = BigInt(`${whole}${fraction}`);
    return [sign ? -digits : digits, fraction.length];
  };
  const [x, xs] = parse(a);
  const [y, ys] = parse(b);
  const scale = Math.max(xs, ys);
  const sum = x * 10n ** BigInt(scale - xs) + y * 10n ** BigInt(scale - ys);
  if (scale === 0) return sum.toString();
  const negative = sum < 0n;
  const digits = (negative ? -sum : sum).toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`.replace(/\.?0+$/, '');
  return `${negative ? '-' : ''}${text}`;
};

/** Digits after the point of a number as JS writes it; -1 when it writes an exponent. */
const decimalsOf = (value: number): number => {
  const text = String(value);
  if (text.includes('e')) return -1;
  const point = text.indexOf('.');
  return point < 0 ? 0 : text.length - point - 1;
};

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * Two numbers' decimal sum as a number when it has at most 15 significant digits (a double holds
 * those exactly, and writes them back the same); undefined otherwise. Scaled to whole units, both
 * are integers below 2^53 and add exactly; dividing back gives the double nearest that decimal,
 * which is what Number() of the decimal's text gives. A catch-up window adds millions of amounts.
 */
const addNumbers = (a: number, b: number): number | undefined => {
  const da = decimalsOf(a);
  const db = decimalsOf(b);
  const scale = Math.max(da, db);
  if (da < 0 || db < 0 || scale > 15) return undefined;
  const unit = POWERS_OF_TEN[scale];
  const units = Math.round(a * unit) + Math.round(b * unit);
  return Math.abs(units) < 1e15 ? units / unit : undefined;
};

/** addDecimals, keeping numbers as numbers when JS holds the exact sum. */
export const addValues = (a: Scalar, b: Scalar): Scalar => {
  if (typeof b === 'number' && (typeof a === 'number' || a === null)) {
    const fast = addNumbers(a ?? 0, b);
    if (fast !== undefined) return fast;
  }
  const sum = addDecimals(a, b);
  const numeric = (typeof a === 'number' || a === null) && typeof b === 'number';
  return numeric && String(Number(sum)) === sum ? Number(sum) : sum;
};

const compare = (a: Scalar, b: Scalar): number => {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a === null) return -1;
  if (b === null) return 1;
  const numeric = /^-?\d+(\.\d+)?$/;
  if (numeric.test(String(a)) && numeric.test(String(b))) return Number(a) - Number(b);
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
};

/**
 * Writes `op value` after the write's column `at`, in place; false when only SQL can compose the
 * two (add then max, say). In place: a window merges millions of changes into rows it keeps.
 */
const combineInto = (write: RowWrite, at: number, op: ColumnOp, value: Scalar): boolean => {
  const first = write.ops[at];
  const current = write.values[at];
  if (op === 'set') {
    write.ops[at] = 'set';
    write.values[at] = value;
    return true;
  }
  if (first !== 'set' && first !== op) return false;
  if (op === 'add') write.values[at] = addValues(current, value);
  else if (op === 'max' ? compare(current, value) < 0 : compare(current, value) > 0) write.values[at] = value;
  return true;
};

const OPS: readonly ColumnOp[] = ['set', 'add', 'max', 'min'];

/** The change's column writes, in the order set, add, max, min. */
const columnWrites = (change: RowChange): Array<[string, ColumnWrite]> => {
  const writes: Array<[string, ColumnWrite]> = [];
  for (const op of OPS) {
    const values = change[op];
    if (values) for (const column in values) writes.push([column, { op, value: values[column] }]);
  }
  return writes;
};

/**
 * A row's identity within its table: the value itself when the key has one column (a Map tells 1
 * from "1", so no string is built), else the sorted columns and values as JSON.
 */
const keyIdentity = (key: Record<string, Scalar>): Scalar => {
  let only: string | undefined;
  for (const column in key) {
    if (only !== undefined) return `\u0000${JSON.stringify(Object.keys(key).sort().map((k) => [k, key[k]]))}`;
    only = column;
  }
  return only === undefined ? '\u0000' : key[only];
};

const newWrite = (change: RowChange, deleteFirst: boolean): RowWrite => ({ table: change.table, key: change.key, deleteFirst, columns: [], ops: [], values: [] });

/**
 * The first write of a row the merger has not seen, its arrays the size of its columns (grown by push
 * they would hold 17 entries each, then be copied to fit: a window keeps 100,000 rows); undefined when
 * the change names a column under two ops, which add() merges.
 */
const firstWrite = (change: RowChange): RowWrite | undefined => {
  let count = 0;
  let opsGiven = 0;
  for (const op of OPS) {
    const values = change[op];
    if (!values) continue;
    opsGiven++;
    for (const _column in values) count++;
  }
  const columns = new Array<string>(count);
  const ops = new Array<ColumnOp>(count);
  const values = new Array<Scalar>(count);
  let i = 0;
  for (const op of OPS) {
    const given = change[op];
    if (!given) continue;
    for (const column in given) {
      if (opsGiven > 1 && columns.indexOf(column) >= 0) return undefined;
      columns[i] = column;
      ops[i] = op;
      values[i] = given[column];
      i++;
    }
  }
  return { table: change.table, key: change.key, deleteFirst: false, columns, ops, values };
};

/**
 * Merges changes into as few row writes as possible, in rounds: round 0 holds the first write of
 * every row, round 1 a second write of rows with a column whose changes could not be merged into
 * one (add then max, say: rare). Columns do not read each other, so applying the rounds in order
 * gives the same rows as applying every change one by one: each column's writes keep their order,
 * and a delete drops what came before it. Changes are added as they come: a batch's, or a whole
 * catch-up window's.
 */
export class RowChangeMerger {
  private readonly tables = new Map<string, Map<Scalar, RowWrite[]>>();
  private readonly rows: RowWrite[][] = [];

  /** Rows written so far (what a window's flush will write, give or take the rare second rounds). */
  get size(): number {
    return this.rows.length;
  }

  add(change: RowChange): void {
    let ofTable = this.tables.get(change.table);
    if (!ofTable) this.tables.set(change.table, (ofTable = new Map()));
    const id = keyIdentity(change.key);
    let writes = ofTable.get(id);
    if (change.delete) {
      // A delete makes every earlier change of this row irrelevant.
      if (writes) {
        writes.length = 0;
        writes.push(newWrite(change, true));
      } else this.newRow(ofTable, id, newWrite(change, true));
      return;
    }
    if (!writes) {
      const first = firstWrite(change);
      if (first) {
        this.newRow(ofTable, id, first);
        return;
      }
    }
    let last = writes?.[writes.length - 1];
    if (!writes || !last) writes = this.newRow(ofTable, id, (last = newWrite(change, false)));
    let grown = false;
    for (const op of OPS) {
      const values = change[op];
      if (!values) continue;
      for (const column in values) {
        const value = values[column];
        const at = last.columns.indexOf(column);
        if (at < 0) {
          last.columns.push(column);
          last.ops.push(op);
          last.values.push(value);
          grown = true;
          continue;
        }
        if (combineInto(last, at, op, value)) continue;
        // Only SQL can compose these: the column's next write goes in a second write of the row, after this one.
        writes.push((last = newWrite(change, false)));
        last.columns.push(column);
        last.ops.push(op);
        last.values.push(value);
        grown = true;
      }
    }
    // An array grown by push has room for 17 entries: a window keeps 100,000 rows, so keep them exact.
    if (grown) {
      last.columns = last.columns.slice();
      last.ops = last.ops.slice();
      last.values = last.values.slice();
    }
  }

  private newRow(ofTable: Map<Scalar, RowWrite[]>, id: Scalar, write: RowWrite): RowWrite[] {
    const writes = [write];
    ofTable.set(id, writes);
    this.rows.push(writes);
    return writes;
  }

  rounds(): RowWrite[][] {
    const rounds: RowWrite[][] = [];
    for (const writes of this.rows) for (let round = 0; round < writes.length; round++) (rounds[round] ??= []).push(writes[round]);
    return rounds;
  }
}

/** A batch's changes merged (see RowChangeMerger). */
export const mergeRowChanges = (changes: Iterable<RowChange>): RowWrite[][] => {
  const merger = new RowChangeMerger();
  for (const change of changes) merger.add(change);
  return merger.rounds();
};

export type Row = Record<string, Scalar>;

/** Rows of each table in memory, by keyIdentity. */
export type RowsInMemory = Map<string, Map<Scalar, Row>>;

export const applyInMemory = (
  tables: RowsInMemory,
  change: RowChange,
  /** The row a new key starts from (column defaults), before the key is filled in. */
  newRow: (table: string) => Row = () => ({}),
): void => {
  const table = tables.get(change.table) ?? new Map<Scalar, Row>();
  tables.set(change.table, table);
  const id = keyIdentity(change.key);
  if (change.delete) {
    table.delete(id);
    return;
  }
  const row: Row = { ...(table.get(id) ?? { ...newRow(change.table), ...change.key }) };
  for (const [column, write] of columnWrites(change)) {
    const current = row[column];
    if (write.op === 'set' || current === undefined || current === null) {
      row[column] = write.op === 'add' ? addValues(0, write.value) : write.value;
    } else if (write.op === 'add') {
      row[column] = addValues(current, write.value);
    } else {
      const keepCurrent = write.op === 'max' ? compare(current, write.value) >= 0 : compare(current, write.value) <= 0;
      row[column] = keepCurrent ? current : write.value;
    }
  }
  table.set(id, row);
};
