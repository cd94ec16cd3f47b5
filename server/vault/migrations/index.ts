import type { WritableDb } from '../db.js';
import { migration001Initial } from './001-initial.js';
import { migration002DestructionPending } from './002-destruction-pending.js';
import { migration003AuditFloor } from './003-audit-floor.js';
import { migration004Events } from './004-events.js';
import { migration005ApiKeyLifecycle } from './005-api-key-lifecycle.js';
import { migration006StaffSessions } from './006-staff-sessions.js';
import { migration007Webhooks } from './007-webhooks.js';
import { migration008FraudListLifecycle } from './008-fraud-list-lifecycle.js';
import { migration009Cases } from './009-cases.js';
import { migration010VerificationSessions } from './010-verification-sessions.js';
import { migration011Consent } from './011-consent.js';
import { migration012VerificationReference } from './012-verification-reference.js';
import { migration013Fleet } from './013-fleet.js';
import { migration014PrivacyRequests } from './014-privacy-requests.js';
import { migration015PrivacyRequester } from './015-privacy-requester.js';
import { migration016StaffPin } from './016-staff-pin.js';
import { migration017LivenessChallenges } from './017-liveness-challenges.js';
import { migration018FleetEpochsRotation } from './018-fleet-epochs-rotation.js';
import { migration019FleetFraudRemovals } from './019-fleet-fraud-removals.js';
import { migration020FleetPushedDocuments } from './020-fleet-pushed-documents.js';
import { migration021FleetBranchWrapKey } from './021-fleet-branch-wrap-key.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: (db: WritableDb) => void;
}

/** Every schema step, in order. `checkMigrationOrder` runs at load so a misnumbered step fails fast. */
export const MIGRATIONS: readonly Migration[] = [
  migration001Initial,
  migration002DestructionPending,
  migration003AuditFloor,
  migration004Events,
  migration005ApiKeyLifecycle,
  migration006StaffSessions,
  migration007Webhooks,
  migration008FraudListLifecycle,
  migration009Cases,
  migration010VerificationSessions,
  migration011Consent,
  migration012VerificationReference,
  migration013Fleet,
  migration014PrivacyRequests,
  migration015PrivacyRequester,
  migration016StaffPin,
  migration017LivenessChallenges,
  migration018FleetEpochsRotation,
  migration019FleetFraudRemovals,
  migration020FleetPushedDocuments,
  migration021FleetBranchWrapKey,
];

export function checkMigrationOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
    }
  });
}

checkMigrationOrder(MIGRATIONS);

export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.length;
