/**
 * Cheap answers for the two class-validator rules that cost most per event (`isIso8601` with
 * `strict`, which parses a Date for every value, and `isNumber` with `maxDecimalPlaces`, which
 * splits the number's text): about 1 µs of the store's checks an event. Each only ever says "surely
 * accepted"; anything else goes to the rule itself, so a violation is always class-validator's own
 * verdict and message. `fast(value) === true` implies the rule accepts `value`: the property tests
 * in fast-accept.spec.ts hold each to that against class-validator and validator.js.
 */
export type FastAccept = (value: unknown) => boolean;

/**
 * The common shapes of ISO 8601 in events: a calendar date, alone or with a time of hours and
 * minutes (seconds and a fraction optional) and a zone (Z or ±hh:mm). validator.js's pattern accepts
 * all of them; its `strict` check then rejects only a day past the end of its month.
 */
const CALENDAR_DATE_TIME =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d))?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Digits at `at` of a string known to hold them there. */
const digitsAt = (text: string, at: number, count: number): number => {
  let value = 0;
  for (let index = at; index < at + count; index++) value = value * 10 + text.charCodeAt(index) - 48;
  return value;
};

/** The proleptic Gregorian calendar's days in a month, as JavaScript's Date counts them. */
const daysInMonth = (year: number, month: number): number =>
  month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0) ? 29 : DAYS_IN_MONTH[month - 1];

const iso8601 = (strict: boolean): FastAccept => (value) => {
  if (typeof value !== 'string' || !CALENDAR_DATE_TIME.test(value)) return false;
  if (!strict) return true;
  // The strict check builds a Date from the year as a number: below 1000 it is not four digits and
  // the parse goes astray (0000-01-01 is refused), so those years are left to it.
  const year = digitsAt(value, 0, 4);
  return year >= 1000 && digitsAt(value, 8, 2) <= daysInMonth(year, digitsAt(value, 5, 2));
};

/** isNumber's own count of decimal places (the digits after the point in the number's text), without the array split makes. */
const number = (maxDecimalPlaces: number | undefined): FastAccept => (value) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (maxDecimalPlaces === undefined) return true;
  if (Number.isInteger(value)) return maxDecimalPlaces >= 0;
  const text = String(value);
  const point = text.indexOf('.');
  // No point (1e-7): class-validator's own count throws there; leave it to the rule.
  return point >= 0 && text.length - point - 1 <= maxDecimalPlaces;
};

/** Options of a rule, when they are a plain object holding only the keys the fast answer models. */
const optionsOf = (constraints: readonly unknown[], known: readonly string[]): Record<string, unknown> | undefined => {
  const options: unknown = constraints[0] ?? {};
  if (constraints.length > 1 || typeof options !== 'object' || options === null || Object.getPrototypeOf(options) !== Object.prototype) return undefined;
  return Object.keys(options).every((key) => known.includes(key)) ? (options as Record<string, unknown>) : undefined;
};

/** Values each fast answer accepts, which the rule it stands for must accept too (a stricter rule under the same name gets none). */
const PROBES: Record<string, readonly unknown[]> = {
  isIso8601: ['2020-02-29', '1997-01-01T00:00:00Z', '1998-06-30T23:59:59.999+02:00', '2004-12-31T10:20-05:30'],
  isNumber: [0, 12, 1.5, 12.77, 0.0001],
};

/**
 * The fast answer for a rule (its class-validator name and constraints), or undefined where there
 * is none: other rules, other options, or a rule by that name that refuses what the answer accepts.
 */
export const fastAcceptFor = (name: string, constraints: readonly unknown[], rule: (value: unknown) => unknown): FastAccept | undefined => {
  let fast: FastAccept | undefined;
  if (name === 'isIso8601') {
    const options = optionsOf(constraints, ['strict']);
    if (options && (options.strict === undefined || typeof options.strict === 'boolean')) fast = iso8601(options.strict === true);
  } else if (name === 'isNumber') {
    const options = optionsOf(constraints, ['maxDecimalPlaces', 'allowNaN', 'allowInfinity']);
    const places = options?.maxDecimalPlaces;
    if (options && (places === undefined || typeof places === 'number')) fast = number(places as number | undefined);
  }
  if (!fast) return undefined;
  for (const probe of PROBES[name] ?? []) {
    if (fast(probe) && rule(probe) !== true) return undefined;
  }
  return fast;
};
