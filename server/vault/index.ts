export { Vault } from './vault.js';
export type { KeyOwner, Clock, DestroyOutcome, PendingDestructions, VaultDoors } from './vault.js';
export { underLegalHold, notUnderLegalHold, countHeldSubjects } from './legal-holds.js';
export {
  countSubjects,
  restrictSubject,
  setSubjectNameDob,
  subjectExists,
  subjectStatus,
} from './subjects.js';
export type {
  PersonalDataAccess,
  SealedField,
  SealedUse,
  SealedReader,
  SystemAccess,
} from './personal-data.js';
export {
  backupIdOf,
  backupVault,
  checkBackupTarget,
  expireVaultBackups,
  restoreVault,
  restoreTempPath,
} from './backup.js';
export type { RestoreOptions, RestoreOutcome } from './backup.js';
export { BACKUP_KEY_STORE_FILE, backupKeyStorePath, listBackups } from './backup-keys.js';
export type { BackupRecord, ExpiredBackups } from './backup-keys.js';
export {
  KeyError,
  SchemaVersionError,
  IntegrityError,
  DataDirError,
  BackupError,
  VaultRuleError,
} from './errors.js';
export type { KeyErrorReason } from './errors.js';
export { openReadableDb, openWritableDb, migrate, schemaVersion, cachedStatement } from './db.js';
export type { ReadableDb, WritableDb } from './db.js';
export { MIGRATIONS, LATEST_SCHEMA_VERSION, checkMigrationOrder } from './migrations/index.js';
export type { Migration } from './migrations/index.js';
export {
  readManifest,
  checkPassphraseLength,
  keyFileHoldsKey,
  removeKeyFile,
  systemdCredentialPath,
  MIN_PASSPHRASE_LENGTH,
  SYSTEMD_CREDENTIAL_NAME,
  BLIND_INDEX_PURPOSES,
} from './keys.js';
export type { KeySource, KdfProfile, KeyManifest, BlindIndexPurpose } from './keys.js';
export {
  normaliseDocumentNumber,
  normaliseNameAndBirthDate,
  hashSecret,
  constantTimeEqual,
} from './crypto.js';
export type { FieldRef } from './crypto.js';
export {
  appendAudit,
  verifyAuditChain,
  verifyAuditDb,
  countAuditEntries,
  listAuditEntries,
  verifyAuditExport,
  auditKeyFingerprint,
  readAuditChain,
  readAuditExport,
  canonicalDetails,
  entryHashInput,
} from './audit.js';
export type {
  AuditEvent,
  AuditEntry,
  AuditDetails,
  AuditVerification,
  AuditProblem,
  AuditChain,
  AuditChainCheck,
  AuditExportVerification,
  AuditSigner,
} from './audit.js';
export {
  defaultDataDir,
  dataDirPaths,
  isInitialised,
  dataDirState,
  notInitialisedError,
  acquireApplianceLock,
  runningAppliancePid,
  runningApplianceUrl,
  refuseWhileServing,
  refuseIfLocked,
} from './datadir.js';
export type { DataDirPaths, DataDirState, ApplianceLock } from './datadir.js';
export { newId } from './ids.js';
export { loadSodium, sodium } from './sodium.js';
export { INIT_STEPS, provisionDataDir, cleanIncompleteInit } from './provision.js';
export type { InitStep, ProvisionOptions } from './provision.js';
export { writeFileAtomic } from './files.js';
