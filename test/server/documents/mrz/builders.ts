/** Builds valid synthetic MRZs from fields, with check digits from the parser's own function. */

import { computeCheckDigit } from '../../../../server/documents/mrz/index.js';

export function pad(value: string, length: number): string {
  return (value + '<'.repeat(length)).slice(0, length);
}

export function cd(field: string): string {
  const digit = computeCheckDigit(field);
  if (digit === null) throw new Error('test fixture holds a character outside the MRZ alphabet');
  return digit;
}

export interface Fields {
  code: string;
  state: string;
  name: string;
  number: string;
  nationality: string;
  birth: string;
  sex: string;
  expiry: string;
  optional: string;
  optional2: string;
}

/** The ICAO 9303 specimen (Anna Maria Eriksson of Utopia). */
export const ERIKSSON: Fields = {
  code: 'P',
  state: 'UTO',
  name: 'ERIKSSON<<ANNA<MARIA',
  number: 'L898902C3',
  nationality: 'UTO',
  birth: '740812',
  sex: 'F',
  expiry: '120415',
  optional: 'ZE184226B',
  optional2: '',
};

function withDefaults(fields: Partial<Fields>, defaults: Partial<Fields> = {}): Fields {
  return { ...ERIKSSON, ...defaults, ...fields };
}

export function td3(partial: Partial<Fields> = {}): [string, string] {
  const f = withDefaults(partial);
  const number = pad(f.number, 9);
  const personal = pad(f.optional, 14);
  const personalCheck = /^<*$/.test(personal) ? '<' : cd(personal);
  const head = number + cd(number);
  const birth = f.birth + cd(f.birth);
  const tail = f.expiry + cd(f.expiry) + personal + personalCheck;
  const line2 = head + pad(f.nationality, 3) + birth + f.sex + tail;
  return [pad(pad(f.code, 2) + pad(f.state, 3) + f.name, 44), line2 + cd(head + birth + tail)];
}

export function td2(partial: Partial<Fields> = {}): [string, string] {
  const f = withDefaults(partial, { code: 'I', number: 'D23145890', optional: '' });
  const number = pad(f.number, 9);
  const head = number + cd(number);
  const birth = f.birth + cd(f.birth);
  const tail = f.expiry + cd(f.expiry) + pad(f.optional, 7);
  const line2 = head + pad(f.nationality, 3) + birth + f.sex + tail;
  return [pad(pad(f.code, 2) + pad(f.state, 3) + f.name, 36), line2 + cd(head + birth + tail)];
}

/** TD1; a number longer than 9 characters overflows into the optional data. */
export function td1(partial: Partial<Fields> = {}): [string, string, string] {
  const f = withDefaults(partial, { code: 'I', number: 'D23145890', optional: '' });
  let upper: string;
  if (f.number.length > 9) {
    const overflow = f.number.slice(9) + cd(f.number);
    upper = f.number.slice(0, 9) + '<' + pad(overflow + f.optional, 15);
  } else {
    const number = pad(f.number, 9);
    upper = number + cd(number) + pad(f.optional, 15);
  }
  const middle =
    f.birth +
    cd(f.birth) +
    f.sex +
    f.expiry +
    cd(f.expiry) +
    pad(f.nationality, 3) +
    pad(f.optional2, 11);
  const composite = cd(upper + middle.slice(0, 7) + middle.slice(8, 15) + middle.slice(18, 29));
  return [pad(pad(f.code, 2) + pad(f.state, 3) + upper, 30), middle + composite, pad(f.name, 30)];
}

function visaLine2(f: Fields, optionalLength: number): string {
  const number = pad(f.number, 9);
  return (
    number +
    cd(number) +
    pad(f.nationality, 3) +
    f.birth +
    cd(f.birth) +
    f.sex +
    f.expiry +
    cd(f.expiry) +
    pad(f.optional, optionalLength)
  );
}

export function mrva(partial: Partial<Fields> = {}): [string, string] {
  const f = withDefaults(partial, { code: 'V' });
  return [pad(pad(f.code, 2) + pad(f.state, 3) + f.name, 44), visaLine2(f, 16)];
}

export function mrvb(partial: Partial<Fields> = {}): [string, string] {
  const f = withDefaults(partial, { code: 'V', optional: '' });
  return [pad(pad(f.code, 2) + pad(f.state, 3) + f.name, 36), visaLine2(f, 8)];
}

/** The pre-2021 French identity card. */
export function frenchId(
  surname: string,
  given: string,
  number: string,
  birth: string,
  sex: string,
  admin: string,
): [string, string] {
  const line1 = 'IDFRA' + pad(surname, 25) + pad(admin, 6);
  const head = number + cd(number) + pad(given, 14) + birth + cd(birth) + sex;
  return [line1, head + cd(line1 + head)];
}

/** Replaces the character at a 0-based position of one line. */
export function replaceAt(
  lines: readonly string[],
  line: number,
  position: number,
  char: string,
): string[] {
  return lines.map((text, index) =>
    index === line ? text.slice(0, position) + char + text.slice(position + 1) : text,
  );
}

export const NOW = new Date(Date.UTC(2026, 0, 1));
