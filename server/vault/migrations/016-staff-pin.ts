import type { Migration } from './index.js';

/**
 * The staff PIN that opens the kiosk shell's exit (issue 17, UI-4).
 *
 * Added to `staff_users`: `pin_hash`, the Argon2id string of the user's own PIN (6-12 digits,
 * set by the user behind their password; NULL: no PIN), and `pin_set_at`.
 *
 * Added to `kiosks`: `exit_failures`, the run of wrong PINs entered at that kiosk since the last
 * right one, and `exit_locked_until`, the lock that run earned. A PIN is tried without a username
 * (the answer never says whose PIN opened), so failures count per kiosk, not per user, and are
 * kept in the database so a restart of the core does not reset them.
 */
export const migration016StaffPin: Migration = {
  version: 16,
  name: '016-staff-pin',
  up(db) {
    db.exec(`
ALTER TABLE staff_users ADD COLUMN pin_hash TEXT;
ALTER TABLE staff_users ADD COLUMN pin_set_at TEXT;
ALTER TABLE kiosks ADD COLUMN exit_failures INTEGER NOT NULL DEFAULT 0 CHECK (exit_failures >= 0);
ALTER TABLE kiosks ADD COLUMN exit_locked_until TEXT;
`);
  },
};
