// Money arithmetic stays exact: integer cents as bigint between decimal strings.
import { describe, expect, it } from '@jest/globals';
import { formatCents, hasAtMostTwoDecimals, MAX_EXACT_CENTS, toCents, toJsonNumber } from '../../src/domain/money.ts';

describe('money', () => {
  it('when 0.10 is taken three times, then the total is exactly 0.30', () => {
    const total = toCents('0.10') * 3n;
    expect(formatCents(total)).toBe('0.30');
    expect(toJsonNumber(total)).toBe(0.3);
  });

  it('when amounts are parsed, then strings and numbers with up to two decimals are exact', () => {
    expect(toCents('1029.98')).toBe(102998n);
    expect(toCents(999.99) + toCents(29.99)).toBe(102998n);
    expect(toCents('5')).toBe(500n);
    expect(toCents('5.5')).toBe(550n);
    expect(toCents('-1.05')).toBe(-105n);
  });

  it('when an amount has more than two decimals or is not decimal, then it is refused', () => {
    expect(() => toCents('19.999')).toThrow(RangeError);
    expect(() => toCents('abc')).toThrow(RangeError);
    expect(() => toCents(1e-7)).toThrow(RangeError);
    expect(hasAtMostTwoDecimals(19.99)).toBe(true);
    expect(hasAtMostTwoDecimals(19.999)).toBe(false);
    expect(hasAtMostTwoDecimals(Number.NaN)).toBe(false);
  });

  it('when cents are formatted, then there are always two decimals', () => {
    expect(formatCents(0n)).toBe('0.00');
    expect(formatCents(7n)).toBe('0.07');
    expect(formatCents(123456789012345678n)).toBe('1234567890123456.78');
  });

  it('when an amount is up to MAX_EXACT_CENTS, then its JSON number parses back to the same cents; beyond, it is refused', () => {
    for (const cents of [MAX_EXACT_CENTS, MAX_EXACT_CENTS - 1n, 123456789012345n, 1n, 10n]) {
      const json = JSON.stringify(toJsonNumber(cents));
      expect(toCents(Number(JSON.parse(json)))).toBe(cents);
    }
    expect(() => toJsonNumber(MAX_EXACT_CENTS + 1n)).toThrow(RangeError);
    expect(() => toJsonNumber('9000999999999909.99')).toThrow(RangeError);
  });
});
