import { isISO8601, isNumber } from 'class-validator';
import fc from 'fast-check';
import { fastAcceptFor } from './fast-accept';

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** Date-time strings around the fast shape: every part sometimes out of range, missing or of another form. */
const dateTimeText = fc
  .record({
    year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(1900, 2000, 2100, 2400, 1996, 1997)),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    time: fc.option(
      fc.record({
        hour: fc.integer({ min: 0, max: 25 }),
        minute: fc.integer({ min: 0, max: 61 }),
        second: fc.option(fc.integer({ min: 0, max: 61 })),
        fraction: fc.option(fc.stringMatching(/^\d{1,9}$/)),
        zone: fc.constantFrom('Z', 'z', '+02:00', '-05:30', '+24:00', '+0200', '', '+02'),
        separator: fc.constantFrom('T', 'T', 'T', ' ', 't'),
      }),
    ),
  })
  .map(({ year, month, day, time }) => {
    const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
    if (!time) return date;
    const seconds = time.second === null ? '' : `:${pad(time.second, 2)}${time.fraction === null ? '' : `.${time.fraction}`}`;
    return `${date}${time.separator}${pad(time.hour, 2)}:${pad(time.minute, 2)}${seconds}${time.zone}`;
  });

const anyText = fc.oneof(dateTimeText, fc.string(), fc.constantFrom('2020-366', '2020-W01-1', '+002020-01-01', '20200101', '2020-01-01T24:00Z'));

const ruleOf = (name: string, check: (value: unknown, options: never) => boolean, constraints: unknown[]) =>
  fastAcceptFor(name, constraints, (value) => check(value, constraints[0] as never));

describe('fastAcceptFor: isIso8601', () => {
  it.each([[{ strict: true }], [{ strict: false }], [{}], [undefined]])('accepts only what validator.js accepts, with options %j', (options) => {
    const fast = ruleOf('isIso8601', isISO8601, [options]);
    expect(fast).toBeDefined();
    fc.assert(
      fc.property(anyText, (text) => !fast!(text) || isISO8601(text, options)),
      { numRuns: 5_000 },
    );
  });

  it('accepts every instant as toISOString writes it, and every real calendar day (the answer is used, not just safe)', () => {
    const fast = ruleOf('isIso8601', isISO8601, [{ strict: true }])!;
    fc.assert(fc.property(fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (date) => fast(date.toISOString())));
    fc.assert(fc.property(fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }), (date) => fast(date.toISOString().slice(0, 10))));
  });

  it('agrees with strict validator.js on the last days of every month, leap and century years included', () => {
    const fast = ruleOf('isIso8601', isISO8601, [{ strict: true }])!;
    for (const year of [999, 1000, 1900, 1996, 1997, 2000, 2024, 2100, 2400]) {
      for (let month = 1; month <= 12; month++) {
        for (const day of [28, 29, 30, 31]) {
          const text = `${year}-${pad(month, 2)}-${pad(day, 2)}T12:00:00Z`;
          expect([text, fast(text)]).toEqual([text, isISO8601(text, { strict: true })]);
        }
      }
    }
  });

  it('has no answer for options it does not model, nor for a rule by that name that refuses what it accepts', () => {
    expect(ruleOf('isIso8601', isISO8601, [{ strict: true, strictSeparator: true }])).toBeUndefined();
    expect(fastAcceptFor('isIso8601', [{ strict: true }], (value) => typeof value === 'string' && value.endsWith('Z'))).toBeUndefined();
    expect(fastAcceptFor('isDateString', [{}], () => true)).toBeUndefined();
  });
});

describe('fastAcceptFor: isNumber', () => {
  const numbers = fc.oneof(
    fc.double(),
    fc.integer({ min: -1e9, max: 1e9 }).chain((n) => fc.integer({ min: 0, max: 8 }).map((places) => n / 10 ** places)),
    fc.constantFrom(0, -0, 1e-7, 1.5e-7, 1e21, 2 ** 53 + 2, Number.NaN, Infinity, -Infinity, 0.1 + 0.2),
  );

  it.each([[{ maxDecimalPlaces: 2 }], [{ maxDecimalPlaces: 4 }], [{ maxDecimalPlaces: 0 }], [{}], [{ allowNaN: true }], [undefined]])(
    'accepts only what class-validator accepts, with options %j',
    (options) => {
      const fast = ruleOf('isNumber', isNumber, [options]);
      expect(fast).toBeDefined();
      fc.assert(
        fc.property(numbers, (value) => {
          if (!fast!(value)) return true;
          return isNumber(value, options);
        }),
        { numRuns: 5_000 },
      );
    },
  );

  it('accepts amounts in cents and whole numbers (the answer is used, not just safe)', () => {
    const fast = ruleOf('isNumber', isNumber, [{ maxDecimalPlaces: 2 }])!;
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), (cents) => fast(cents / 100)));
    expect(fast(12.345)).toBe(false);
  });

  it('has no answer where the rule refuses what it accepts', () => {
    expect(fastAcceptFor('isNumber', [{ maxDecimalPlaces: 2 }], (value) => Number.isInteger(value))).toBeUndefined();
    expect(ruleOf('isNumber', isNumber, [{ maxDecimalPlaces: 2 }, 'more'])).toBeUndefined();
  });
});
