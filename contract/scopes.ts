import { z } from 'zod';

/**
 * API-2 scopes, plus `captures:write` (a capture station uploading images and pen samples) and
 * `metrics:read` (a Prometheus scraper), and `fraud_lists:read`/`fraud_lists:write` (the known-fraud
 * documents and faces), and `audit:read` (the audit viewer: entries and the chain's status). `admin` implies every other scope.
 */
export const API_SCOPES = [
  'verifications:write',
  'verifications:read',
  'captures:write',
  'pii:read',
  'images:read',
  'privacy:read',
  'privacy:write',
  'reports:read',
  'metrics:read',
  'fraud_lists:read',
  'fraud_lists:write',
  'audit:read',
  'admin',
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const ApiScopeSchema = z.enum(API_SCOPES).meta({
  id: 'ApiScope',
  description: 'A permission of an API key; `admin` implies every other.',
});
