/** The bank's fleet on NATS JetStream (issue 19): see engine.ts, membership.ts, node.ts, hub.ts. */
export { fleetDocumentChecks, fleetIndexesOf, type FleetCheck } from './checks.js';
export { FleetError, NatsServerProcess, type FleetErrorReason } from './engine.js';
export { FleetNode } from './node.js';
export {
  HubNode,
  addBranch,
  hubPaths,
  initHub,
  readHub,
  readHubReport,
  readHubReuseRefusals,
  revokeBranch,
  setReuseLimit,
} from './hub.js';
export {
  fleetStatus,
  joinFleet,
  leafPaths,
  leaveFleet,
  loadFleetMember,
  parseCredentials,
} from './membership.js';
export { startFleetInBackground, type FleetRunner } from './runner.js';
export {
  HubAdmin,
  HUB_ADMIN_SCOPES,
  hubStatus,
  type HubStatus,
  type HubAdminKey,
  type HubAdminScope,
  type HubFraudEntry,
} from './hub-admin.js';
export { hubAdminApp, serveHubAdmin } from './hub-admin-api.js';
export { pushConsentText, pushPolicy, pushedDocuments, type PushResult } from './policy-push.js';
