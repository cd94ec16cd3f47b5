/** The character that replaces every hidden character. */
export const MASK_CHAR = '*';

/** Fraction of a value that may ever show, whatever a rule asks. */
const MAX_VISIBLE_FRACTION = 1 / 3;

/** How many trailing characters `maskValue` leaves visible. */
export function visibleCount(length: number, keepLast: number): number {
  const wanted = Number.isFinite(keepLast) ? Math.max(0, Math.floor(keepLast)) : 0;
  return Math.min(wanted, Math.floor(length * MAX_VISIBLE_FRACTION));
}

/**
 * The value with all but its last `keepLast` characters (never more than a third of it) replaced
 * by `*`; the length is kept. Works on code points, so no surrogate half leaks.
 */
export function maskValue(value: string, keepLast: number): string {
  const chars = [...value];
  const visible = visibleCount(chars.length, keepLast);
  return MASK_CHAR.repeat(chars.length - visible) + chars.slice(chars.length - visible).join('');
}
