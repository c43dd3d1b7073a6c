// Money is exact end to end: PostgreSQL numeric(18,2) <-> decimal strings <-> integer cents as bigint in between.
// Binary floating point is only ever the final JSON rendering of an already exact two-decimal value.

const DECIMAL = /^(-)?(\d+)(?:\.(\d{1,2}))?$/;

/**
 * The largest amount the API records, in cents: 9,999,999,999,999.99. A decimal of at most 15 significant digits
 * survives the trip through a binary double exactly, so every amount up to this one is a JSON number a client parses
 * back to the same cents; beyond it (e.g. 9000999999999909.99) the printed number would be a different amount.
 */
export const MAX_EXACT_CENTS = 999_999_999_999_999n;

/** "1029.98" | 1029.98 → 102998n. Throws on more than two decimals or a non-decimal value. */
export function toCents(value: string | number): bigint {
  const text = typeof value === 'number' ? numberToPlainString(value) : value.trim();
  const match = DECIMAL.exec(text);
  if (!match) throw new RangeError(`not a money amount with at most two decimals: ${String(value)}`);
  const cents = BigInt(match[2]!) * 100n + BigInt((match[3] ?? '').padEnd(2, '0') || '0');
  return match[1] ? -cents : cents;
}

/** 102998n → "1029.98" (always two decimals, as PostgreSQL prints numeric(18,2)). */
export function formatCents(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/**
 * "1029.98" → 1029.98: the JSON number of an exact amount (shortest round-trip form, e.g. 0.3). Throws for an amount
 * beyond MAX_EXACT_CENTS: the API refuses to create those, so meeting one is a bug, never a silently wrong number.
 */
export function toJsonNumber(amount: string | bigint): number {
  const cents = typeof amount === 'bigint' ? amount : toCents(amount);
  if (cents > MAX_EXACT_CENTS || cents < -MAX_EXACT_CENTS) throw new RangeError(`amount ${formatCents(cents)} has no exact JSON number`);
  return Number(formatCents(cents));
}

/** True when a JSON number is a money amount with at most two decimals (19.99 yes, 19.999 and 1e-7 no). */
export function hasAtMostTwoDecimals(value: number): boolean {
  return Number.isFinite(value) && DECIMAL.test(numberToPlainString(value));
}

function numberToPlainString(value: number): string {
  // String(1e21) is exponent notation; such magnitudes are out of range for money anyway and fail the pattern.
  return String(value);
}
