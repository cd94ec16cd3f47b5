/**
 * Data element ids of the AAMVA DL/ID Card Design Standard, across versions. `since`/`until`
 * bound the versions that define the id (version 1 is the AAMVA 2000 layout; 2 and up are the
 * 2003+ layouts). Ids outside this table inside a DL/ID subfile are reported as unknown.
 */

export type AamvaElementKind = 'text' | 'date' | 'sex' | 'state' | 'country' | 'flag';

export interface AamvaElementDefinition {
  id: string;
  name: string;
  kind: AamvaElementKind;
  since: number;
  until: number;
}

type Row = [id: string, name: string, kind: AamvaElementKind, since: number, until: number];

const LATEST = 99;

const ROWS: Row[] = [
  ['DAA', 'full name', 'text', 0, 1],
  ['DAB', 'family name', 'text', 0, 1],
  ['DAC', 'first name', 'text', 0, LATEST],
  ['DAD', 'middle name', 'text', 0, LATEST],
  ['DAE', 'name suffix', 'text', 0, 1],
  ['DAF', 'name prefix', 'text', 0, 1],
  ['DAG', 'mailing street 1', 'text', 0, LATEST],
  ['DAH', 'mailing street 2', 'text', 0, LATEST],
  ['DAI', 'mailing city', 'text', 0, LATEST],
  ['DAJ', 'mailing jurisdiction', 'state', 0, LATEST],
  ['DAK', 'mailing postal code', 'text', 0, LATEST],
  ['DAL', 'residence street 1', 'text', 0, 1],
  ['DAM', 'residence street 2', 'text', 0, 1],
  ['DAN', 'residence city', 'text', 0, 1],
  ['DAO', 'residence jurisdiction', 'state', 0, 1],
  ['DAP', 'residence postal code', 'text', 0, 1],
  ['DAQ', 'customer id number', 'text', 0, LATEST],
  ['DAR', 'license classification', 'text', 0, 1],
  ['DAS', 'license restrictions', 'text', 0, 1],
  ['DAT', 'license endorsements', 'text', 0, 1],
  ['DAU', 'height (ft-in or in/cm)', 'text', 0, LATEST],
  ['DAV', 'height (cm)', 'text', 0, 1],
  ['DAW', 'weight (lb)', 'text', 0, LATEST],
  ['DAX', 'weight (kg)', 'text', 0, LATEST],
  ['DAY', 'eye color', 'text', 0, LATEST],
  ['DAZ', 'hair color', 'text', 0, LATEST],
  ['DBA', 'expiration date', 'date', 0, LATEST],
  ['DBB', 'date of birth', 'date', 0, LATEST],
  ['DBC', 'sex', 'sex', 0, LATEST],
  ['DBD', 'issue date', 'date', 0, LATEST],
  ['DBE', 'issue timestamp', 'text', 0, 1],
  ['DBF', 'number of duplicates', 'text', 0, 1],
  ['DBG', 'medical indicator / alias given name', 'text', 0, LATEST],
  ['DBH', 'organ donor', 'text', 0, 1],
  ['DBI', 'non-resident indicator', 'text', 0, 1],
  ['DBJ', 'unique customer identifier', 'text', 0, 1],
  ['DBK', 'social security number', 'text', 0, 1],
  ['DBL', 'date of birth (alias)', 'date', 0, 1],
  ['DBM', 'social security number (alias)', 'text', 0, 1],
  ['DBN', 'alias full / family name', 'text', 0, LATEST],
  ['DBO', 'alias family name', 'text', 0, 1],
  ['DBP', 'alias given name', 'text', 0, 1],
  ['DBQ', 'alias middle name', 'text', 0, 1],
  ['DBR', 'alias suffix', 'text', 0, LATEST],
  ['DBS', 'alias prefix / suffix', 'text', 0, LATEST],
  ['PAA', 'permit classification', 'text', 0, 1],
  ['PAB', 'permit expiration date', 'date', 0, 1],
  ['PAC', 'permit identifier', 'text', 0, 1],
  ['PAD', 'permit issue date', 'date', 0, 1],
  ['PAE', 'permit restrictions', 'text', 0, 1],
  ['PAF', 'permit endorsements', 'text', 0, 1],
  ['DCA', 'vehicle class', 'text', 2, LATEST],
  ['DCB', 'restriction codes', 'text', 2, LATEST],
  ['DCD', 'endorsement codes', 'text', 2, LATEST],
  ['DCE', 'weight range', 'text', 2, LATEST],
  ['DCF', 'document discriminator', 'text', 2, LATEST],
  ['DCG', 'country', 'country', 2, LATEST],
  ['DCH', 'federal commercial vehicle codes', 'text', 2, 3],
  ['DCI', 'place of birth', 'text', 2, LATEST],
  ['DCJ', 'audit information', 'text', 2, LATEST],
  ['DCK', 'inventory control number', 'text', 2, LATEST],
  ['DCL', 'race / ethnicity', 'text', 2, LATEST],
  ['DCM', 'standard vehicle classification', 'text', 2, LATEST],
  ['DCN', 'standard endorsement code', 'text', 2, LATEST],
  ['DCO', 'standard restriction code', 'text', 2, LATEST],
  ['DCP', 'vehicle classification description', 'text', 2, LATEST],
  ['DCQ', 'endorsement code description', 'text', 2, LATEST],
  ['DCR', 'restriction code description', 'text', 2, LATEST],
  ['DCS', 'family name', 'text', 2, LATEST],
  ['DCT', 'given names', 'text', 2, 3],
  ['DCU', 'name suffix', 'text', 2, LATEST],
  ['DDA', 'compliance type', 'flag', 4, LATEST],
  ['DDB', 'card revision date', 'date', 4, LATEST],
  ['DDC', 'HAZMAT endorsement expiration date', 'date', 4, LATEST],
  ['DDD', 'limited duration document indicator', 'flag', 4, LATEST],
  ['DDE', 'family name truncation', 'flag', 4, LATEST],
  ['DDF', 'first name truncation', 'flag', 4, LATEST],
  ['DDG', 'middle name truncation', 'flag', 4, LATEST],
  ['DDH', 'under 18 until', 'date', 4, LATEST],
  ['DDI', 'under 19 until', 'date', 4, LATEST],
  ['DDJ', 'under 21 until', 'date', 4, LATEST],
  ['DDK', 'organ donor indicator', 'flag', 4, LATEST],
  ['DDL', 'veteran indicator', 'flag', 4, LATEST],
];

export const AAMVA_ELEMENTS: readonly AamvaElementDefinition[] = ROWS.map(
  ([id, name, kind, since, until]) => ({ id, name, kind, since, until }),
);

const byId = new Map(AAMVA_ELEMENTS.map((e) => [e.id, e]));

export function elementDefinition(id: string): AamvaElementDefinition | null {
  return byId.get(id) ?? null;
}

/**
 * Element ids defined for a version; an unknown version (null) gets all of them. Cards often
 * carry ids of a neighbouring version, so for tokenising this is a preference, not a rule.
 */
export function elementIdsForVersion(version: number | null): ReadonlySet<string> {
  const ids = AAMVA_ELEMENTS.filter(
    (e) => version === null || (version >= e.since && version <= e.until),
  ).map((e) => e.id);
  return new Set(ids);
}
