import type { Migration } from './index.js';

/**
 * Destructions whose page images may still be in the files. A destruction commits at once, but
 * the old page images of the rows it removed (and of the wrapped data key) stay in the main
 * database file and the WAL until a checkpoint copies the overwritten pages in and truncates the
 * WAL, which a reader holding an older snapshot prevents. One row per destruction, removed when a
 * complete checkpoint has followed it. Counts only: the subjects' ids are in subject_tombstones.
 */
const SCHEMA = `
CREATE TABLE destructions_pending (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('subjects', 'rows')),
  count INTEGER NOT NULL CHECK (count > 0)
) STRICT;
`;

export const migration002DestructionPending: Migration = {
  version: 2,
  name: '002-destruction-pending',
  up(db) {
    db.exec(SCHEMA);
  },
};
