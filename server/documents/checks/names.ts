/**
 * Name comparison that survives the ways one name is written on different readings of the same
 * document: ICAO 9303 transliteration (Ä → AE or A, ß → SS, Ø → OE, Å → AA), accents dropped by
 * a barcode, case, hyphens, apostrophes and spaces.
 */

/** Letters NFKD does not decompose, folded the ICAO 9303 Part 3 way. */
const FOLD: Readonly<Record<string, string>> = {
  ß: 'SS',
  ẞ: 'SS',
  Æ: 'AE',
  æ: 'AE',
  Ø: 'OE',
  ø: 'OE',
  Œ: 'OE',
  œ: 'OE',
  Þ: 'TH',
  þ: 'TH',
  Ð: 'D',
  ð: 'D',
  Đ: 'D',
  đ: 'D',
  Ł: 'L',
  ł: 'L',
  ı: 'I',
  Ħ: 'H',
  ħ: 'H',
  Ŧ: 'T',
  ŧ: 'T',
  Ŋ: 'N',
  ŋ: 'N',
};

/** Upper-case A–Z only, or null when the name holds letters outside the Latin script. */
export function latinLetters(name: string): string | null {
  let folded = '';
  for (const char of name.normalize('NFC')) folded += FOLD[char] ?? char;
  const plain = folded.normalize('NFKD').replace(/\p{M}/gu, '').toUpperCase();
  if (/[^\p{Script=Latin}\P{L}]/u.test(plain)) return null;
  return plain.replace(/[^A-Z]/g, '');
}

/**
 * A skeleton two spellings of one name share: the transliteration digraphs collapse (AE/OE/UE
 * to the vowel, AA to A) and doubled letters count once. Applied to both sides alike, so a
 * spurious collapse ("SAMUEL" → "SAMUL") cannot cause a mismatch.
 */
export function nameSkeleton(name: string): string | null {
  const letters = latinLetters(name);
  if (letters === null) return null;
  return letters.replace(/([AOU])E/g, '$1').replace(/(.)\1+/g, '$1');
}

/** The full name as compared: surname first, then the given names. */
export function fullName(
  surname: string | null | undefined,
  givenNames: string | null | undefined,
): string {
  return [surname ?? '', givenNames ?? ''].join(' ').trim();
}
