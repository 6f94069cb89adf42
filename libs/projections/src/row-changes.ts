import type { RowChange, Scalar } from './projection';

export type ColumnOp = 'set' | 'add' | 'max' | 'min';

interface ColumnWrite {
  op: ColumnOp;
  value: Scalar;
}

/** The net effect of consecutive changes to one row: optionally delete it first, then write columns. */
export interface RowWrite {
  table: string;
  key: Record<string, Scalar>;
  deleteFirst: boolean;
  columns: Map<string, ColumnWrite>;
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

/** addDecimals, keeping numbers as numbers when JS holds the exact sum. */
const addValues = (a: Scalar, b: Scalar): Scalar => {
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

/** The result of `then` after `first` on one column, or undefined when only SQL can tell (e.g. add then max). */
const combine = (first: ColumnWrite, then: ColumnWrite): ColumnWrite | undefined => {
  if (then.op === 'set') return then;
  if (first.op === 'set') {
    if (then.op === 'add') return { op: 'set', value: addValues(first.value, then.value) };
    const keepFirst = then.op === 'max' ? compare(first.value, then.value) >= 0 : compare(first.value, then.value) <= 0;
    return { op: 'set', value: keepFirst ? first.value : then.value };
  }
  if (first.op !== then.op) return undefined;
  if (then.op === 'add') return { op: 'add', value: addValues(first.value, then.value) };
  const keepFirst = then.op === 'max' ? compare(first.value, then.value) >= 0 : compare(first.value, then.value) <= 0;
  return { op: then.op, value: keepFirst ? first.value : then.value };
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

export const rowKey = (table: string, key: Record<string, Scalar>): string => {
  const columns = Object.keys(key);
  // One key column (most tables): no sort, no array; JSON.stringify still tells 1 from "1".
  if (columns.length === 1) return `${table}\u0000${columns[0]}\u0000${JSON.stringify(key[columns[0]])}`;
  return `${table}\u0000${JSON.stringify(columns.sort().map((k) => [k, key[k]]))}`;
};

/**
 * Merges a batch's changes into as few row writes as possible, in rounds: round 0 holds the
 * first write of every row, round 1 a second write of rows whose changes could not be merged
 * into one (rare). Applying the rounds in order gives the same rows as applying every change
 * one by one.
 */
export const mergeRowChanges = (changes: Iterable<RowChange>): RowWrite[][] => {
  const perRow = new Map<string, RowWrite[]>();
  for (const change of changes) {
    const id = rowKey(change.table, change.key);
    const writes = perRow.get(id) ?? [];
    if (change.delete) {
      // A delete makes every earlier change of this row in the batch irrelevant.
      perRow.set(id, [{ table: change.table, key: change.key, deleteFirst: true, columns: new Map() }]);
      continue;
    }
    let current = writes[writes.length - 1];
    if (!current) {
      current = { table: change.table, key: change.key, deleteFirst: false, columns: new Map() };
      writes.push(current);
    }
    const incoming = columnWrites(change);
    // Combine first, write after: a change that cannot be merged leaves the current write as it was.
    const combined: ColumnWrite[] = [];
    let mergeable = true;
    for (let i = 0; i < incoming.length; i++) {
      const [column, write] = incoming[i];
      // The same column twice in one change (set and add, say) combines with its own earlier write.
      let earlier = -1;
      for (let j = 0; j < i; j++) if (incoming[j][0] === column) earlier = j;
      const existing = earlier >= 0 ? combined[earlier] : current.columns.get(column);
      const next = existing ? combine(existing, write) : write;
      if (!next) {
        mergeable = false;
        break;
      }
      combined.push(next);
    }
    if (mergeable) {
      for (let i = 0; i < incoming.length; i++) current.columns.set(incoming[i][0], combined[i]);
    } else {
      writes.push({ table: change.table, key: change.key, deleteFirst: false, columns: new Map(incoming) });
    }
    if (!perRow.has(id)) perRow.set(id, writes);
  }
  const rounds: RowWrite[][] = [];
  for (const writes of perRow.values()) {
    writes.forEach((write, round) => (rounds[round] ??= []).push(write));
  }
  return rounds;
};

export type Row = Record<string, Scalar>;

export const applyInMemory = (
  tables: Map<string, Map<string, Row>>,
  change: RowChange,
  /** The row a new key starts from (column defaults), before the key is filled in. */
  newRow: (table: string) => Row = () => ({}),
): void => {
  const table = tables.get(change.table) ?? new Map<string, Row>();
  tables.set(change.table, table);
  const id = rowKey(change.table, change.key);
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
