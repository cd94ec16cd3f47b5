import { describe, expect, it } from 'vitest';

import {
  normalisePostalCode,
  parseAamva,
  parseAamvaDate,
  parseAamvaDetailed,
  parseAamvaHeight,
  parseAamvaSex,
  parseAamvaStructure,
  splitFullName,
} from '../../../../server/documents/aamva/index.js';
import { buildAamva, stripSeparators, v10Payload } from './build.js';

const codes = (input: string | Uint8Array): string[] => parseAamva(input).errors.map((e) => e.code);

describe('parseAamva on a standard version 10 payload', () => {
  const payload = v10Payload();

  it('maps every field into the canonical record', () => {
    expect(parseAamva(payload)).toEqual({
      kind: 'aamva',
      format: 'AAMVA',
      documentCode: 'DL',
      documentNumber: 'T64235789',
      issuingState: 'VA',
      surname: 'SAMPLE',
      givenNames: 'MICHAEL JOHN',
      nationality: null,
      birthDate: '1986-06-06',
      expiryDate: '2030-12-10',
      issueDate: '2022-06-06',
      sex: 'M',
      personalNumber: null,
      optionalData: null,
      address: {
        street: '2300 WEST BROAD STREET',
        city: 'RICHMOND',
        jurisdiction: 'VA',
        postalCode: '23269',
        country: 'USA',
      },
      aamvaVersion: 10,
      valid: true,
      errors: [],
      notices: [],
      checkDigits: {},
      corrections: [],
    });
  });

  it('locates subfiles by their offsets and keeps the jurisdiction subfile raw', () => {
    const s = parseAamvaStructure(payload);
    expect(s.header).toEqual({
      complianceIndicator: true,
      fileType: 'ANSI',
      iin: '636000',
      version: 10,
      jurisdictionVersion: 1,
      numberOfEntries: 2,
    });
    expect(s.subfiles.map((f) => [f.type, f.located])).toEqual([
      ['DL', 'offset'],
      ['ZV', 'offset'],
    ]);
    expect(s.subfiles[1]?.elements).toEqual([{ id: 'ZVA', value: '01' }]);
    expect(s.warnings).toEqual([]);
  });

  it('keeps name parts, suffix and height on the detailed result', () => {
    const d = parseAamvaDetailed(payload);
    expect(d.name).toEqual({ last: 'SAMPLE', first: 'MICHAEL', middle: 'JOHN', suffix: 'JR' });
    expect(d.height).toEqual({ value: 68, unit: 'in' });
    expect(d.issuer?.name).toBe('Virginia');
  });

  it('reads the same record from bytes, with or without a UTF-8 BOM', () => {
    const bytes = new TextEncoder().encode(payload);
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
    expect(parseAamva(bytes)).toEqual(parseAamva(payload));
    expect(parseAamva(withBom)).toEqual(parseAamva(payload));
  });

  it('marks an ID card with document code ID', () => {
    const id = buildAamva({
      version: 9,
      subfiles: [
        {
          type: 'ID',
          elements: [
            ['DAQ', 'X1'],
            ['DCS', 'DOE'],
            ['DAC', 'JANE'],
            ['DBB', '01021990'],
            ['DBC', '2'],
            ['DAJ', 'VA'],
          ],
        },
      ],
    });
    expect(parseAamva(id)).toMatchObject({ documentCode: 'ID', sex: 'F', valid: true });
  });
});

describe('versions and names', () => {
  it('reads version 1 with a comma-separated DAA, CCYYMMDD dates and M/F sex', () => {
    const v1 = buildAamva({
      iin: '636006',
      version: 1,
      subfiles: [
        {
          type: 'DL',
          elements: [
            ['DAA', 'CORTEZ,PABLO,LUIS RODRIGUEZ,JR'],
            ['DAG', '715 MAIN LN'],
            ['DAI', 'STRATFORD'],
            ['DAJ', 'CT'],
            ['DAK', '066140123  '],
            ['DAQ', '227881513'],
            ['DBA', '20221007'],
            ['DBB', '19761007'],
            ['DBC', 'M'],
            ['DBD', '20160823'],
          ],
        },
      ],
    });
    const d = parseAamvaDetailed(v1);
    expect(d.structure.header).toMatchObject({ version: 1, jurisdictionVersion: null });
    expect(d.name).toEqual({
      last: 'CORTEZ',
      first: 'PABLO',
      middle: 'LUIS RODRIGUEZ',
      suffix: 'JR',
    });
    expect(d.record).toMatchObject({
      surname: 'CORTEZ',
      givenNames: 'PABLO LUIS RODRIGUEZ',
      birthDate: '1976-10-07',
      expiryDate: '2022-10-07',
      issueDate: '2016-08-23',
      sex: 'M',
      aamvaVersion: 1,
      valid: true,
      address: { postalCode: '066140123', country: 'USA', jurisdiction: 'CT' },
    });
  });

  it('splits full names in their version 1 spellings', () => {
    expect(splitFullName('JOHN ROBERT LEE SMITH')).toEqual({
      last: 'SMITH',
      first: 'JOHN',
      middle: 'ROBERT LEE',
      suffix: null,
    });
    expect(splitFullName('SMITH, MARY JONES')).toEqual({
      last: 'SMITH',
      first: 'MARY',
      middle: 'JONES',
      suffix: null,
    });
    expect(splitFullName('SMITH,MARY,ROBINS,')).toMatchObject({ first: 'MARY', middle: 'ROBINS' });
    expect(splitFullName('JOHN SMITH JR')).toMatchObject({ last: 'SMITH', suffix: 'JR' });
  });

  it('reads version 3 given names from DCT and drops the NONE code', () => {
    const v3 = buildAamva({
      iin: '636045',
      version: 3,
      subfiles: [
        {
          type: 'DL',
          elements: [
            ['DAQ', 'WA1234'],
            ['DCS', 'ANASTASIA'],
            ['DCT', 'PRINCESS MONACO'],
            ['DCU', 'NONE'],
            ['DBB', '11041968'],
            ['DBA', '11042030'],
            ['DBC', '2'],
            ['DAJ', 'WA'],
          ],
        },
      ],
    });
    const d = parseAamvaDetailed(v3);
    expect(d.name).toEqual({
      last: 'ANASTASIA',
      first: 'PRINCESS',
      middle: 'MONACO',
      suffix: null,
    });
    expect(d.record.givenNames).toBe('PRINCESS MONACO');
  });

  it('reads a pre-standard AAMVA header, also without a version', () => {
    const elements: [string, string][] = [
      ['DAA', 'DOE,JOHN'],
      ['DAQ', '1'],
      ['DBB', '19700101'],
      ['DAJ', 'CT'],
    ];
    const pre = buildAamva({
      iin: '636006',
      version: 1,
      fileType: 'AAMVA',
      subfiles: [{ type: 'DL', elements }],
    });
    expect(parseAamvaStructure(pre).header).toMatchObject({ fileType: 'AAMVA', version: 1 });
    expect(parseAamva(pre)).toMatchObject({ surname: 'DOE', valid: true });

    const noVersion = '@\n\x1e\rAAMVA63600601DL00260040DLDAQ1\nDAADOE,JOHN\nDBB19700101\r';
    const s = parseAamvaStructure(noVersion);
    expect(s.header).toMatchObject({ version: 0, numberOfEntries: 1 });
    expect(parseAamva(noVersion)).toMatchObject({ documentNumber: '1', valid: true });

    const amva = `@AMVA 6360060101DL00290198${elements.map(([i, v]) => i + v).join('')}`;
    expect(parseAamva(amva)).toMatchObject({
      surname: 'DOE',
      birthDate: '1970-01-01',
      valid: true,
    });
  });
});

describe('dates', () => {
  it('reads US MMDDCCYY and Canadian CCYYMMDD by the data', () => {
    expect(parseAamvaDate('06061986', 'MDY')).toBe('1986-06-06');
    expect(parseAamvaDate('19860606', 'MDY')).toBe('1986-06-06');
    expect(parseAamvaDate('06061986', 'YMD')).toBe('1986-06-06');
    expect(parseAamvaDate('20240229', 'YMD')).toBe('2024-02-29');
    expect(parseAamvaDate('02292023', 'MDY')).toBeNull();
    expect(parseAamvaDate('MMDDCCYY', 'MDY')).toBeNull();
    expect(parseAamvaDate('12022121', 'MDY')).toBeNull();
  });

  it('reads a Canadian card in either order', () => {
    const card = (dob: string, exp: string): string =>
      buildAamva({
        iin: '636012',
        version: 3,
        subfiles: [
          {
            type: 'DL',
            elements: [
              ['DAQ', 'S9244'],
              ['DCS', 'TESTER,'],
              ['DCT', 'MARY,ANN'],
              ['DBB', dob],
              ['DBA', exp],
              ['DAJ', 'ON'],
              ['DAK', 'N1M 3J6    '],
              ['DCG', 'CAN'],
            ],
          },
        ],
      });
    for (const payload of [card('19960603', '20300603'), card('06031996', '06032030')]) {
      expect(parseAamva(payload)).toMatchObject({
        surname: 'TESTER',
        givenNames: 'MARY ANN',
        birthDate: '1996-06-03',
        expiryDate: '2030-06-03',
        address: { postalCode: 'N1M3J6', country: 'CAN' },
        valid: true,
      });
    }
  });

  it('reports invalid dates as field errors and needs a birth date', () => {
    const badExpiry = parseAamva(v10Payload({ DBA: '13452030' }));
    expect(badExpiry.expiryDate).toBeNull();
    expect(badExpiry.errors).toContainEqual(
      expect.objectContaining({ field: 'expiryDate', code: 'invalid_date' }),
    );
    expect(badExpiry.valid).toBe(true);
    const badBirth = parseAamva(v10Payload({ DBB: '02302000' }));
    expect(badBirth.valid).toBe(false);
    expect(badBirth.errors.map((e) => e.field)).toContain('birthDate');
  });
});

describe('tolerated capture artefacts', () => {
  const payload = v10Payload();
  const expected = parseAamva(payload);
  const same = (variant: string): void => {
    const r = parseAamva(variant);
    // the tolerated deviations are reported as notices; everything else reads the same
    expect({ ...r, errors: [], notices: [] }).toEqual({ ...expected, errors: [], notices: [] });
    expect(r.valid).toBe(true);
  };

  it('BOMs, leading spaces and junk before the header', () => {
    same(`\ufeff${payload}`);
    same(`  ${payload}`);
    same(`\ufeff ${payload}`);
  });

  it('altered header separators', () => {
    same(payload.replace('@\n\x1e\r', '@\n\x1e\n'));
    same(payload.replace('@\n\x1e\r', '@\n\n'));
    same(payload.replace('@\n\x1e\r', '@\n'));
    same(payload.replace('@\n\x1e\r', '@\n\x1c\r'));
    same(payload.replace('@\n\x1e\r', '@ac'));
  });

  it('CRLF, CR-only and pipe element separators, and undefined characters', () => {
    const head = payload.slice(0, payload.indexOf('DLDCA'));
    const body = payload.slice(head.length);
    same(head + body.replace(/\n/g, '\r\n'));
    same(payload.replace(/\r/g, '\n'));
    same(payload.replace(/\n/g, '\x90\n\x90'));
    same(head + body.replace(/\n/g, '|'));
  });

  it('all separators stripped, tokenised at known element ids', () => {
    const stripped = stripSeparators(payload);
    const r = parseAamva(stripped);
    expect(r).toMatchObject({
      documentNumber: 'T64235789',
      surname: 'SAMPLE',
      givenNames: 'MICHAEL JOHN',
      birthDate: '1986-06-06',
      sex: 'M',
      valid: true,
    });
  });

  it('stripped separators with ids inside names and ids of other versions after dates', () => {
    const v9 = stripSeparators(v10Payload({ DAC: 'DALE', DCS: 'PABLO' }));
    expect(parseAamvaDetailed(v9).name).toMatchObject({ last: 'PABLO', first: 'DALE' });
    const v1 = '@AMVA 6360060101DL00290198DAACORTEZ,PABLO,,JRDAQ1DBB19761007DARDDAJCT';
    expect(parseAamvaDetailed(v1).name).toMatchObject({ last: 'CORTEZ', first: 'PABLO' });
    expect(parseAamva(v1)).toMatchObject({ birthDate: '1976-10-07', valid: true });
  });

  it('CRLF conversion of the whole capture, header included', () => {
    same(payload.replace(/\n/g, '\r\n'));
  });

  it('tolerates an unrecognised id in the standard namespace', () => {
    const r = parseAamvaDetailed(payload.replace('DCBK\n', 'DCBK\nDDZ1\n'));
    expect(r.record.valid).toBe(true);
    expect(r.structure.warnings.map((w) => w.code)).toContain('unrecognised_element');
  });

  it('offsets that do not match fall back to scanning for subfile types', () => {
    const shifted = payload.replace('DCAD\n', 'DCAD\n\n\n');
    const s = parseAamvaStructure(shifted);
    expect(s.subfiles.map((f) => [f.type, f.located])).toEqual([
      ['DL', 'scan'],
      ['ZV', 'scan'],
    ]);
    same(shifted);
  });
});

describe('errors', () => {
  it('flags an IIN that belongs to another jurisdiction but keeps the record', () => {
    const r = parseAamva(v10Payload({}, '636053'));
    expect(r.issuingState).toBe('VA');
    expect(r.errors).toEqual([
      { field: 'issuingState', code: 'iin_mismatch', message: expect.any(String) as string },
    ]);
    expect(r.valid).toBe(true);
  });

  it('falls back to the IIN for the jurisdiction', () => {
    const r = parseAamva(v10Payload({ DAJ: '' }, '636001'));
    expect(r.issuingState).toBe('NY');
  });

  it.each([
    ['no compliance indicator', (p: string) => p.slice(1), 'missing_compliance_indicator'],
    ['record separator missing', (p: string) => p.replace('@\n\x1e\r', '@\n\r'), 'bad_separators'],
    [
      'element separator missing',
      (p: string) => p.replace('@\n\x1e\r', '@\x1e\r'),
      'bad_separators',
    ],
    ['no file type', (p: string) => p.replace('ANSI ', ''), 'missing_file_type'],
    ['unknown element', (p: string) => p.replace('DCBK\n', 'DCBK\nZZZ\n'), 'unknown_element'],
    ['no entries', (p: string) => p.replace('636000100102', '636000100100'), 'no_entries'],
  ])('rejects a header with %s', (_name, mutate, code) => {
    const r = parseAamva(mutate(v10Payload()));
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => e.code)).toContain(code);
  });

  it('rejects truncated payloads', () => {
    expect(codes('@\n\x1e\rANSI 63600010010')).toContain('header_truncated');
    expect(codes('@\n\x1e\rANSI 6360000102')).toContain('no_data');
    expect(codes('')).toContain('missing_file_type');
  });

  it('rejects a payload without a document number', () => {
    const r = parseAamva(v10Payload({ DAQ: '' }));
    expect(r.valid).toBe(false);
    expect(r.errors).toContainEqual(
      expect.objectContaining({ field: 'documentNumber', code: 'missing' }),
    );
  });

  it('never quotes values in messages', () => {
    const r = parseAamva(v10Payload({ DBA: '99999999', DBC: '7' }, '636053'));
    const text = JSON.stringify(r.errors);
    for (const value of ['99999999', 'T64235789', '636053', 'VA'])
      expect(text).not.toContain(value);
  });

  it('refuses huge and non-text input without throwing', () => {
    expect(codes('@'.repeat(1_000_000))).toEqual(['too_long']);
    expect(codes(42 as unknown as string)).toEqual(['not_text']);
  });
});

describe('field conventions', () => {
  it('postal codes', () => {
    expect(normalisePostalCode('232690000  ')).toBe('23269');
    expect(normalisePostalCode('33040-0504 ')).toBe('330400504');
    expect(normalisePostalCode('71901 4455 ')).toBe('719014455');
    expect(normalisePostalCode('96826     0')).toBe('96826');
    expect(normalisePostalCode('T4G 7A7')).toBe('T4G7A7');
    expect(normalisePostalCode('   ')).toBeNull();
  });

  it('sex codes', () => {
    expect(['1', '2', '9', 'M', 'F', 'X', '', '5'].map((v) => parseAamvaSex(v))).toEqual([
      'M',
      'F',
      'X',
      'M',
      'F',
      'X',
      null,
      'invalid',
    ]);
  });

  it('heights', () => {
    expect(parseAamvaHeight('072 IN', undefined)).toEqual({ value: 72, unit: 'in' });
    expect(parseAamvaHeight('155 CM', undefined)).toEqual({ value: 155, unit: 'cm' });
    expect(parseAamvaHeight('509', undefined)).toEqual({ value: 69, unit: 'in' });
    expect(parseAamvaHeight(`5'-04"`, undefined)).toEqual({ value: 64, unit: 'in' });
    expect(parseAamvaHeight(undefined, '180')).toEqual({ value: 180, unit: 'cm' });
    expect(parseAamvaHeight('tall', undefined)).toBeNull();
  });
});
