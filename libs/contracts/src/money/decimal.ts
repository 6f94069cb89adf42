import { DomainRuleError } from '../errors';

/**
 * Exact money arithmetic for deciders: amounts are decimal strings with at most 4 decimals
 * (DECIMAL_AMOUNT), held here as integers of ten-thousandths, so no float ever rounds a cent.
 * Sums over many rows are PostgreSQL's `numeric`, not this.
 */
const SCALE = 4;
const ONE = 10n ** BigInt(SCALE);
/** 12 integer digits, as DECIMAL_AMOUNT allows. */
const MAX_UNITS = 10n ** 12n * ONE - 1n;
const DECIMAL = /^(-?)(\d+)(?:\.(\d{1,4}))?$/;

export type Units = bigint;

export const toUnits = (amount: string, field = 'amount'): Units => {
  const match = DECIMAL.exec(amount);
  if (!match) throw new DomainRuleError(`${field} must be a decimal string with at most 4 decimals, such as 12.50`, 'invalid_amount');
  const [, sign, whole, fraction = ''] = match;
  const units = BigInt(whole) * ONE + BigInt(fraction.padEnd(SCALE, '0'));
  return sign ? -units : units;
};

/** At least 2 decimals (`125.00`, `0.1234`), no trailing zeros beyond. */
export const fromUnits = (units: Units): string => {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const fraction = (abs % ONE).toString().padStart(SCALE, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${negative ? '-' : ''}${abs / ONE}.${fraction}`;
};

/** Refuses a negative amount and one past 12 integer digits: what events and read models can hold. */
export const assertAmount = (units: Units, field: string): Units => {
  if (units < 0n) throw new DomainRuleError(`${field} cannot be negative`, 'negative_amount');
  if (units > MAX_UNITS) throw new DomainRuleError(`${field} is larger than 999999999999.9999`, 'amount_too_large');
  return units;
};
