/**
 * Specimen documents the simulated reader presents: the ICAO 9303 specimens of the fictional
 * state Utopia (Part 4 TD3 passport, Part 5 TD1 card) and a synthetic AAMVA licence whose
 * values are all placeholders. None of them is a person's data.
 */
export type SpecimenDocument = 'passport-td3' | 'id-card-td1' | 'driving-licence-aamva';

export const SPECIMEN_DOCUMENTS: readonly SpecimenDocument[] = [
  'passport-td3',
  'id-card-td1',
  'driving-licence-aamva',
];

export const SPECIMEN_MRZ: Readonly<Record<'passport-td3' | 'id-card-td1', readonly string[]>> = {
  'passport-td3': [
    'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
    'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
  ],
  'id-card-td1': [
    'I<UTOD231458907<<<<<<<<<<<<<<<',
    '7408122F1204159UTO<<<<<<<<<<<6',
    'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
  ],
};

/** Builds an AAMVA DL/ID payload (version 10) with consistent subfile offsets. */
export function buildAamvaPayload(
  subfiles: { type: string; elements: [string, string][] }[],
): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const head = `@\n\x1e\rANSI 636000${two(10)}${two(0)}${two(subfiles.length)}`;
  const bodies = subfiles.map(
    (s) => s.type + s.elements.map(([id, value]) => `${id}${value}\n`).join('') + '\r',
  );
  let offset = head.length + 10 * subfiles.length;
  let directory = '';
  subfiles.forEach((s, i) => {
    const length = bodies[i]?.length ?? 0;
    directory += `${s.type}${String(offset).padStart(4, '0')}${String(length).padStart(4, '0')}`;
    offset += length;
  });
  return head + directory + bodies.join('');
}

/** A synthetic licence: SPECIMEN/SAMPLE names, a placeholder number and address. */
export const SPECIMEN_AAMVA: string = buildAamvaPayload([
  {
    type: 'DL',
    elements: [
      ['DCA', 'D'],
      ['DCB', 'NONE'],
      ['DCD', 'NONE'],
      ['DBA', '01012035'],
      ['DCS', 'SPECIMEN'],
      ['DAC', 'SAMPLE'],
      ['DAD', 'NONE'],
      ['DBD', '01012025'],
      ['DBB', '01011990'],
      ['DBC', '2'],
      ['DAY', 'BRO'],
      ['DAU', '066 in'],
      ['DAG', '1 SPECIMEN ROAD'],
      ['DAI', 'SAMPLETOWN'],
      ['DAJ', 'VA'],
      ['DAK', '000000000  '],
      ['DAQ', 'T00000000'],
      ['DCF', 'SPECIMEN0000'],
      ['DCG', 'USA'],
      ['DDE', 'N'],
      ['DDF', 'N'],
      ['DDG', 'N'],
    ],
  },
]);
