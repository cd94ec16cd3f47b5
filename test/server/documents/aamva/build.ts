/**
 * Builds synthetic AAMVA payloads from the DL/ID Card Design Standard: header
 * `@\n\x1e\rANSI ` + IIN + version + jurisdiction version + entries, subfile designators
 * (type, 4-digit offset, 4-digit length), then subfiles starting with their type, elements
 * `DAQ…\n`, each subfile ending with `\r`. Offsets are computed, so they are consistent.
 */

export interface SyntheticSubfile {
  type: string;
  elements: [string, string][];
}

export interface SyntheticPayload {
  iin?: string;
  version?: number;
  jurisdictionVersion?: number;
  fileType?: string;
  subfiles: SyntheticSubfile[];
}

export function buildAamva(p: SyntheticPayload): string {
  const version = p.version ?? 10;
  const two = (n: number): string => String(n).padStart(2, '0');
  const fileType = p.fileType ?? 'ANSI ';
  let head = `@\n\x1e\r${fileType}${p.iin ?? '636000'}${two(version)}`;
  if (version >= 2) head += two(p.jurisdictionVersion ?? 0);
  head += two(p.subfiles.length);
  const bodies = p.subfiles.map(
    (s) => s.type + s.elements.map(([id, value]) => `${id}${value}\n`).join('') + '\r',
  );
  let offset = head.length + 10 * p.subfiles.length;
  let directory = '';
  p.subfiles.forEach((s, i) => {
    const length = bodies[i]?.length ?? 0;
    directory += `${s.type}${String(offset).padStart(4, '0')}${String(length).padStart(4, '0')}`;
    offset += length;
  });
  return head + directory + bodies.join('');
}

/** A version 10 Virginia licence (after the standard's Annex D example). */
export const V10_ELEMENTS: [string, string][] = [
  ['DCA', 'D'],
  ['DCB', 'K'],
  ['DCD', 'PH'],
  ['DBA', '12102030'],
  ['DCS', 'SAMPLE'],
  ['DDE', 'N'],
  ['DAC', 'MICHAEL'],
  ['DDF', 'N'],
  ['DAD', 'JOHN'],
  ['DDG', 'N'],
  ['DCU', 'JR'],
  ['DBD', '06062022'],
  ['DBB', '06061986'],
  ['DBC', '1'],
  ['DAY', 'BRO'],
  ['DAU', '068 in'],
  ['DAG', '2300 WEST BROAD STREET'],
  ['DAI', 'RICHMOND'],
  ['DAJ', 'VA'],
  ['DAK', '232690000  '],
  ['DAQ', 'T64235789'],
  ['DCF', '2424244747474786102204'],
  ['DCG', 'USA'],
  ['DCK', '123456789'],
  ['DDA', 'F'],
  ['DDB', '06062018'],
];

export function v10Payload(overrides: Record<string, string> = {}, iin = '636000'): string {
  const elements = V10_ELEMENTS.map(([id, v]): [string, string] => [id, overrides[id] ?? v]);
  return buildAamva({
    iin,
    version: 10,
    jurisdictionVersion: 1,
    subfiles: [
      { type: 'DL', elements },
      { type: 'ZV', elements: [['ZVA', '01']] },
    ],
  });
}

/** The payload as a keyboard wedge that drops control characters delivers it. */
export function stripSeparators(payload: string): string {
  return [...payload].filter((c) => !'\n\r\x1e'.includes(c)).join('');
}
