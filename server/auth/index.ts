export {
  STAFF_ROLES,
  MIN_PASSWORD_LENGTH,
  addStaffUser,
  normaliseUsername,
  getStaffUser,
  listStaffUsers,
  disableStaffUser,
  unlockStaffUser,
  setStaffRole,
  hashPassword,
  verifyPassword,
} from './staff.js';
export type { StaffRole, StaffUser } from './staff.js';
export {
  API_SCOPES,
  DEFAULT_CLIENT_SCOPES,
  parseScopes,
  createApiClient,
  getApiClient,
  listApiClients,
  revokeApiClient,
  rotateApiClient,
  API_KEY_TAG,
  LAST_USED_RESOLUTION_MS,
  authenticateApiKey,
} from './api-keys.js';
export type { ApiScope, ApiClient } from './api-keys.js';
export {
  registerKiosk,
  getKiosk,
  listKiosks,
  revokeKiosk,
  rotateKioskToken,
  authenticateKioskToken,
  KIOSK_TOKEN_TAG,
} from './kiosks.js';
export type { Kiosk } from './kiosks.js';
export {
  bearerPrefix,
  checkDisplayName,
  generatePassword,
  newBearerSecret,
  randomSecret,
} from './secrets.js';
export {
  SESSION_SEEN_RESOLUTION_MS,
  authenticateSession,
  changePassword,
  checkCsrfToken,
  confirmPassword,
  csrfTokenFor,
  endSession,
  lockSeconds,
  login,
} from './sessions.js';
export type { LoginOutcome, SessionPolicy, StaffSession } from './sessions.js';
export { LoginThrottle } from './throttle.js';
export {
  PIN_MAX_DIGITS,
  PIN_MIN_DIGITS,
  checkPinRules,
  setStaffPin,
  tryKioskExit,
} from './pins.js';
export type { KioskExitOutcome } from './pins.js';
