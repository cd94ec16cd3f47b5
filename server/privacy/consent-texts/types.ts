import type { ConsentLanguage, ConsentPurpose } from '../../../contract/consents.js';

/**
 * One consent text as data: a template per purpose and language. `{{name}}` placeholders are
 * filled from the retention policy in force when the text is published (`terms.ts`), and
 * `{{schedule}}` with the published schedule's path, so a text never names a term the policy
 * does not keep. `version` is the wording's version: edit the wording, raise it.
 */
export interface ConsentTemplate {
  readonly purpose: ConsentPurpose;
  readonly language: ConsentLanguage;
  readonly version: string;
  readonly title: string;
  readonly body: string;
}
