/**
 * Public specimen documents: the ICAO 9303 examples, national specimens published by issuers,
 * and the AAMVA card design standard's sample. A genuine holder never presents one, so a match
 * fails the document. A new specimen is a row, not a branch in code.
 */

/** States that exist only on specimens (ICAO's fictitious Utopia). */
export const SPECIMEN_ISSUING_STATES: readonly string[] = ['UTO'];

export interface SpecimenNumber {
  documentNumber: string;
  /** Restricts the match to one issuer; null matches any issuer (the number is ICAO's own). */
  issuingState: string | null;
  source: string;
}

export const SPECIMEN_DOCUMENT_NUMBERS: readonly SpecimenNumber[] = [
  { documentNumber: 'L898902C3', issuingState: null, source: 'ICAO 9303 Part 4 TD3 passport' },
  { documentNumber: 'L898902C', issuingState: null, source: 'ICAO 9303 Part 7 visa' },
  { documentNumber: 'D23145890', issuingState: null, source: 'ICAO 9303 Parts 5–6 TD1/TD2' },
  { documentNumber: 'D23145890734', issuingState: null, source: 'ICAO 9303 Part 5 long number' },
  { documentNumber: 'T22000129', issuingState: 'D', source: 'German identity card specimen' },
  { documentNumber: 'C01X00T47', issuingState: 'D', source: 'German passport specimen (2017)' },
  { documentNumber: 'C01X0006H', issuingState: 'D', source: 'German passport specimen (2007)' },
  { documentNumber: 'SPECI2014', issuingState: 'NLD', source: 'Dutch passport and ID specimens' },
  { documentNumber: 'T64235789', issuingState: null, source: 'AAMVA DL/ID standard Annex D' },
];

export interface SpecimenName {
  /** Surname then given names, as `fullName` joins them. */
  name: string;
  source: string;
}

export const SPECIMEN_NAMES: readonly SpecimenName[] = [
  { name: 'ERIKSSON ANNA MARIA', source: 'ICAO 9303 specimen holder' },
  { name: 'SPECIMEN', source: 'surname printed on many national specimens' },
  { name: 'MUSTERMANN ERIKA', source: 'German specimen holder' },
  { name: 'MUSTERMANN MAX', source: 'German specimen holder' },
  { name: 'DE BRUIJN WILLEKE LISELOTTE', source: 'Dutch specimen holder' },
  { name: 'SAMPLE MICHAEL JOHN', source: 'AAMVA DL/ID standard Annex D' },
];

/**
 * Words that anywhere in the holder's name mark a specimen: issuers print them on the samples
 * they publish ("SPECIMEN<<SVEN", "SPECIMEN<TRAVEL<<VILMA"), and no one is named so on a real
 * document. Only the word itself: real surnames such as Muster or Mustermann are matched by the
 * whole specimen name above, never alone.
 */
export const SPECIMEN_NAME_WORDS: readonly string[] = ['SPECIMEN', 'SPECIMENS', 'SPECIMEM'];
