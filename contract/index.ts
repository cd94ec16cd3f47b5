// The API's contract, shared by the core (server/) and its clients (renderer/, integrators):
// zod schemas that validate requests and document responses, their DTO types, the problem
// catalogue and the scopes. Pure TypeScript: no Node built-ins, nothing from server/ (lint).
export * from './api-keys.js';
export * from './auth.js';
export * from './health.js';
export * from './kiosks.js';
export * from './permissions.js';
export * from './problems.js';
export * from './scopes.js';
export * from './reason-codes.js';
export * from './verifications.js';
export * from './frame-guidance.js';
export * from './devices.js';
export * from './events.js';
export * from './webhooks.js';
export * from './fraud-lists.js';
export * from './cases.js';
export * from './consents.js';
export * from './audit.js';
export * from './staff-users.js';
export * from './retention.js';
export * from './kiosk-devices.js';
export * from './privacy-requests.js';
export * from './reports.js';
