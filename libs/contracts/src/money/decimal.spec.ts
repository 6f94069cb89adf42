import { DomainRuleError } from '../errors';
import { assertAmount, fromUnits, toUnits } from './decimal';

describe('exact decimals', () => {
  it('reads decimal strings exactly and writes them with at least two decimals', () => {
    expect(toUnits('12.5')).toBe(125_000n);
    expect(toUnits('0.0001')).toBe(1n);
    expect(toUnits('-3')).toBe(-30_000n);
    expect(fromUnits(125_000n)).toBe('12.50');
    expect(fromUnits(toUnits('0.1234'))).toBe('0.1234');
    expect(fromUnits(toUnits('7.120'))).toBe('7.12');
    expect(fromUnits(toUnits('7.1230'))).toBe('7.123');
    expect(fromUnits(0n)).toBe('0.00');
    expect(fromUnits(-15_000n)).toBe('-1.50');
  });

  it('adds what floats cannot', () => {
    expect(fromUnits(toUnits('0.1') + toUnits('0.2'))).toBe('0.30');
    expect(fromUnits(toUnits('999999999999.9999') - toUnits('0.0001'))).toBe('999999999999.9998');
  });

  it('refuses what is not a decimal, negatives and amounts past 12 digits', () => {
    expect(() => toUnits('1e3')).toThrow(DomainRuleError);
    expect(() => toUnits('1.23456')).toThrow(DomainRuleError);
    expect(() => assertAmount(-1n, 'amount')).toThrow(/cannot be negative/);
    expect(() => assertAmount(toUnits('999999999999.9999') + 1n, 'amount')).toThrow(/larger than/);
    expect(assertAmount(0n, 'amount')).toBe(0n);
  });
});
