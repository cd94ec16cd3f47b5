/** ICAO 9303 Part 3 §4.9: check digits with the repeating weights 7, 3, 1. */

const WEIGHTS = [7, 3, 1] as const;

/** The value of one MRZ character: 0–9 for digits, A=10 … Z=35, `<` = 0; -1 for anything else. */
export function mrzCharValue(char: string): number {
  if (char.length !== 1) return -1;
  const code = char.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 55;
  if (char === '<') return 0;
  return -1;
}

/** Counts characters outside the MRZ alphabet as 0; callers report them as field errors. */
export function lenientCheckDigit(field: string): string {
  let sum = 0;
  for (let i = 0; i < field.length; i++) {
    const value = mrzCharValue(field.charAt(i));
    sum += (value < 0 ? 0 : value) * (WEIGHTS[i % 3] ?? 1);
  }
  return String(sum % 10);
}

/**
 * The ICAO 9303 check digit of a field (7-3-1 weighting, `<` = 0, A = 10 … Z = 35), or null
 * when the field holds a character outside the MRZ alphabet (A–Z, 0–9, `<`).
 */
export function computeCheckDigit(field: string): string | null {
  for (const char of field) if (mrzCharValue(char) < 0) return null;
  return lenientCheckDigit(field);
}
