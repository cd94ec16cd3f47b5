import type { ApiScope } from './scopes.js';

/** The roles of staff users (the CHECK of staff_users.role). */
export const STAFF_ROLES = ['staff', 'supervisor', 'auditor', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

const STAFF_PERMISSIONS = [
  'verifications:write',
  'verifications:read',
  'captures:write',
  'pii:read',
  'images:read',
  'privacy:read',
  'privacy:write',
] as const satisfies readonly ApiScope[];

/**
 * The one table from a staff role to what it may do, in API scopes: a staff session passes
 * `requireScope(scope)` when its role holds the scope (or `admin`, which implies every scope).
 * Branch staff run verifications at the desk, work the review queue (identity data and images)
 * and take privacy requests; a supervisor adds reports (four-eyes approvals and aggregated
 * figures) and keeps the fraud lists; an auditor reads verifications, reports and privacy requests but never identity data
 * or images; an admin holds everything.
 */
export const ROLE_PERMISSIONS = {
  staff: STAFF_PERMISSIONS,
  supervisor: [...STAFF_PERMISSIONS, 'reports:read', 'fraud_lists:read', 'fraud_lists:write'],
  auditor: [
    'verifications:read',
    'privacy:read',
    'reports:read',
    'metrics:read',
    'fraud_lists:read',
    'audit:read',
  ],
  admin: ['admin'],
} as const satisfies Record<StaffRole, readonly ApiScope[]>;

/** The scopes a role holds, as listed in ROLE_PERMISSIONS (`admin` not expanded). */
export function permissionsOf(role: StaffRole): readonly ApiScope[] {
  return ROLE_PERMISSIONS[role];
}
