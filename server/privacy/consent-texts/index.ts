import { DE } from './de.js';
import { EN } from './en.js';
import { ES } from './es.js';
import type { ConsentTemplate } from './types.js';

export type { ConsentTemplate } from './types.js';

/** Every consent text the appliance publishes: each purpose in each language. */
export const CONSENT_TEMPLATES: readonly ConsentTemplate[] = [...EN, ...ES, ...DE];
