// Types for the plain-JS rule, so TypeScript tests can import it.
import type { Rule } from 'eslint';

export declare const TABLE_OWNERS: Record<string, { owner: string; readers?: string[] }>;
declare const rule: Rule.RuleModule;
export default rule;
