import fc from 'fast-check';
import { addDecimals, addValues, applyInMemory, mergeRowChanges, type RowsInMemory, type RowWrite } from './row-changes';
import type { RowChange } from './projection';

describe('addDecimals', () => {
  it.each([
    [0.1, 0.2, '0.3'],
    ['11.77', 12, '23.77'],
    [5, -7.25, '-2.25'],
    ['-0.5', '0.5', '0'],
    [100, 1, '101'],
  ])('%p + %p = %p', (a, b, sum) => expect(addDecimals(a, b)).toBe(sum));
  it('refuses non-decimals', () => expect(() => addDecimals('abc', 1)).toThrow(TypeError));
});

describe('addValues', () => {
  // Numbers take a shortcut through whole units: it must give what the exact decimal sum gives.
  const decimal = fc
    .tuple(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 6 }))
    .map(([units, scale]) => Number((units / 10 ** scale).toFixed(scale)));
  it('adds numbers as exactly as addDecimals does, and keeps them numbers when they fit', () => {
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        const exact = addDecimals(a, b);
        const sum = addValues(a, b);
        expect(String(sum)).toBe(exact);
        expect(typeof sum).toBe(String(Number(exact)) === exact ? 'number' : 'string');
      }),
      { numRuns: 5_000 },
    );
  });
  it.each([
    [0.1, 0.2, 0.3],
    [null, 1.5, 1.5],
    [1e15, 0.5, 1000000000000000.5],
    [9007199254740991, 2, '9007199254740993'],
  ])('%p + %p = %p', (a, b, sum) => expect(addValues(a, b)).toBe(sum));
});

describe('mergeRowChanges', () => {
  const key = { id: 'a' };
  const columnsOf = (write: RowWrite) => Object.fromEntries(write.columns.map((column, i) => [column, { op: write.ops[i], value: write.values[i] }]));
  it('folds a row into one write when the operations compose', () => {
    const rounds = mergeRowChanges([
      { table: 't', key, set: { name: 'x' }, add: { n: 1 } },
      { table: 't', key, add: { n: 2 }, max: { at: '2' } },
      { table: 't', key, max: { at: '1' } },
    ]);
    expect(rounds).toHaveLength(1);
    expect(columnsOf(rounds[0][0])).toEqual({
      name: { op: 'set', value: 'x' },
      n: { op: 'add', value: 3 },
      at: { op: 'max', value: '2' },
    });
  });

  it('starts a second round when only SQL can compose (add, then max of the same column)', () => {
    const rounds = mergeRowChanges([
      { table: 't', key, add: { n: 1 } },
      { table: 't', key, max: { n: 5 } },
      { table: 't', key: { id: 'b' }, add: { n: 1 } },
    ]);
    expect(rounds.map((r) => r.length)).toEqual([2, 1]);
  });

  it('keeps both operations of one change on one column that only SQL can compose', () => {
    const rounds = mergeRowChanges([{ table: 't', key, add: { n: 1 }, max: { n: 5 }, set: { name: 'x' } }]);
    expect(rounds.map((round) => round.map(columnsOf))).toEqual([[{ name: { op: 'set', value: 'x' }, n: { op: 'add', value: 1 } }], [{ n: { op: 'max', value: 5 } }]]);
  });

  it('tells a key of 1 from a key of "1"', () => {
    const rounds = mergeRowChanges([
      { table: 't', key: { id: 1 }, add: { n: 1 } },
      { table: 't', key: { id: '1' }, add: { n: 1 } },
      { table: 't', key: { id: 1, other: 2 }, add: { n: 1 } },
    ]);
    expect(rounds[0].map((write) => write.key)).toEqual([{ id: 1 }, { id: '1' }, { id: 1, other: 2 }]);
  });

  it('lets a delete drop earlier changes of the same row', () => {
    const rounds = mergeRowChanges([
      { table: 't', key, add: { n: 1 } },
      { table: 't', key, delete: true },
      { table: 't', key, set: { name: 'y' } },
    ]);
    expect(rounds).toHaveLength(1);
    expect(rounds[0][0].deleteFirst).toBe(true);
    expect(columnsOf(rounds[0][0])).toEqual({ name: { op: 'set', value: 'y' } });
  });

  it('gives the same rows as applying every change one by one (random sequences)', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let run = 0; run < 200; run++) {
      const changes: RowChange[] = Array.from({ length: 30 }, () => {
        const k = { id: `r${Math.floor(random() * 4)}` };
        const pick = random();
        if (pick < 0.1) return { table: 't', key: k, delete: true as const };
        if (pick < 0.4) return { table: 't', key: k, add: { n: Math.round(random() * 1000) / 100 } };
        if (pick < 0.6) return { table: 't', key: k, max: { n: Math.round(random() * 10) } };
        if (pick < 0.75) return { table: 't', key: k, min: { m: Math.round(random() * 10) } };
        // One change, two operations on one column: each must land, in order.
        if (pick < 0.8) return { table: 't', key: k, add: { n: Math.round(random() * 100) / 10 }, max: { n: Math.round(random() * 10) } };
        return { table: 't', key: k, set: { n: Math.round(random() * 10), m: 3 } };
      });
      const reference: RowsInMemory = new Map();
      changes.forEach((c) => applyInMemory(reference, c));
      const merged: RowsInMemory = new Map();
      for (const round of mergeRowChanges(changes)) {
        for (const write of round) {
          if (write.deleteFirst) applyInMemory(merged, { table: write.table, key: write.key, delete: true });
          if (write.columns.length === 0) continue;
          const change: RowChange = { table: write.table, key: write.key };
          write.columns.forEach((column, i) => {
            const target = (change[write.ops[i]] ??= {}) as Record<string, unknown>;
            target[column] = write.values[i];
          });
          applyInMemory(merged, change);
        }
      }
      expect(merged.get('t') ?? new Map()).toEqual(reference.get('t') ?? new Map());
    }
  });
});
