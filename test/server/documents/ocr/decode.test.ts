import { describe, expect, it } from 'vitest';

import { decodeMrz } from '../../../../server/documents/ocr/decode.js';
import type { LineProbabilities } from '../../../../server/documents/ocr/decode.js';
import { MRZ_ALPHABET } from '../../../../server/documents/ocr/model.js';
import { readDecoded } from '../../../../server/documents/ocr/recognise.js';

// ICAO 9303 Part 4 specimen (Utopia): every check digit holds.
const TD3 = [
  'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
  'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
];

/** Probabilities that favour `text`, except where `doubts` moves most of the mass elsewhere. */
function probabilities(
  text: string,
  doubts: Record<number, { read: string; p: number }> = {},
): LineProbabilities {
  const classes = MRZ_ALPHABET.length;
  const probs = new Float32Array(text.length * classes).fill(0.001);
  [...text].forEach((char, i) => {
    const doubt = doubts[i];
    if (doubt === undefined) probs[i * classes + MRZ_ALPHABET.indexOf(char)] = 0.96;
    else {
      probs[i * classes + MRZ_ALPHABET.indexOf(doubt.read)] = doubt.p;
      probs[i * classes + MRZ_ALPHABET.indexOf(char)] = 0.95 - doubt.p;
    }
  });
  return { count: text.length, probs };
}

describe('decodeMrz', () => {
  it('reads confident cells as they are', () => {
    const decoded = decodeMrz(TD3.map((line) => probabilities(line)));
    expect(decoded.lines).toEqual(TD3);
    expect(decoded.format).toBe('TD3');
    expect(decoded.changes).toBe(0);
  });

  it('takes the runner-up where that makes the check digit hold', () => {
    // Document number digit 8 (position 3) read as 6 with 0.6 against 0.35.
    const decoded = decodeMrz([
      probabilities(TD3[0]!),
      probabilities(TD3[1]!, { 3: { read: '6', p: 0.6 } }),
    ]);
    expect(decoded.rawLines[1]).toBe('L896902C36UTO7408122F1204159ZE184226B<<<<<10');
    expect(decoded.lines).toEqual(TD3);
    expect(decoded.changes).toBe(1);
  });

  it('repairs two doubtful cells of one field, cheapest first', () => {
    const decoded = decodeMrz([
      probabilities(TD3[0]!),
      probabilities(TD3[1]!, { 14: { read: '3', p: 0.55 }, 17: { read: '7', p: 0.5 } }),
    ]);
    expect(decoded.lines).toEqual(TD3);
  });

  it('restricts dates to digits and names to letters', () => {
    // A letter O in the birth date and a digit 0 in the name are never chosen there.
    const decoded = decodeMrz([
      probabilities(TD3[0]!, { 9: { read: '0', p: 0.7 } }),
      probabilities(TD3[1]!, { 14: { read: 'O', p: 0.7 } }),
    ]);
    expect(decoded.rawLines).toEqual(TD3);
  });

  it('leaves a line alone when no cheap change makes its check digit hold', () => {
    // The expiry check digit is confidently wrong and no cell has a useful runner-up.
    const wrong = TD3[1]!.slice(0, 27) + '8' + TD3[1]!.slice(28);
    const decoded = decodeMrz([probabilities(TD3[0]!), probabilities(wrong)]);
    expect(decoded.lines[1]).toBe(wrong);
  });
});

describe('readDecoded', () => {
  const [line1, line2] = TD3 as [string, string];
  const misread = line2.replace('L898902C3', 'L8989O2C3');

  it('keeps a confident look-alike as read: the reading fails its check digit', () => {
    // O read with 0.96 where 0 was printed: the recogniser was sure, so nothing may swap it.
    const decoded = decodeMrz([probabilities(line1), probabilities(misread)]);
    const { record, lines } = readDecoded(decoded);
    expect(lines[1]).toBe(misread);
    expect(record.valid).toBe(false);
    expect(record.corrections).toEqual([]);
  });

  it('reports the check-digit search and unsure-character corrections, so the check warns', () => {
    const decoded = decodeMrz([
      probabilities(line1),
      probabilities(line2, { 3: { read: '6', p: 0.6 } }),
    ]);
    const { record, lines } = readDecoded(decoded);
    expect(lines).toEqual(TD3);
    expect(record.valid).toBe(true);
    expect(record.corrections).toEqual([
      { line: 2, position: 4, from: '6', to: '8', field: 'documentNumber' },
    ]);
    expect(record.notices.map((n) => n.code)).toContain('ocr_corrected');
  });
});
