import Database from 'better-sqlite3';
import { SchemaVersionError } from './errors.js';
import { MIGRATIONS, LATEST_SCHEMA_VERSION } from './migrations/index.js';

declare const readable: unique symbol;
declare const writable: unique symbol;

/** A connection that may only be read from. */
export type ReadableDb = Database.Database & { readonly [readable]: true };
/** A connection that may write. Functions taking it are the ones that change the vault. */
export type WritableDb = ReadableDb & { readonly [writable]: true };

/**
 * Durability: WAL with synchronous=FULL. In WAL mode NORMAL already survives a process crash
 * (SIGKILL), but a power cut may lose the last commits; FULL fsyncs the WAL on every commit, so
 * an acknowledged write survives a power cut too. A bank appliance acknowledges decisions to
 * other systems, so it pays the fsync (measured in `npm run bench`).
 */
const WRITABLE_PRAGMAS = [
  'journal_mode = WAL',
  'synchronous = FULL',
  'foreign_keys = ON',
  'secure_delete = ON',
  'trusted_schema = OFF',
  'busy_timeout = 10000',
  // After a TRUNCATE checkpoint the WAL is cut to nothing, so old page images leave the disk file.
  'journal_size_limit = 0',
] as const;

/**
 * Opens a database to read it. The handle is read-write at the file level with `query_only` on:
 * a read-only handle on a WAL database leaves the `-wal` and `-shm` files it created behind (with
 * its user as owner), while this one removes them when it closes, as if it had never been there.
 */
export function openReadableDb(path: string): ReadableDb {
  const db = new Database(path, { fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  db.pragma('query_only = ON');
  return db as ReadableDb;
}

export interface OpenWritableOptions {
  /** Create the file if it does not exist (only `init` does this). */
  create?: boolean;
}

/**
 * Opens the vault database for writing: refuses a database newer than the code before anything
 * is written, then sets the pragmas and applies pending migrations.
 */
export function openWritableDb(path: string, options: OpenWritableOptions = {}): WritableDb {
  const db = new Database(path, { fileMustExist: !options.create });
  try {
    const found = schemaVersion(db as ReadableDb);
    if (found > LATEST_SCHEMA_VERSION) throw new SchemaVersionError(found, LATEST_SCHEMA_VERSION);
    for (const pragma of WRITABLE_PRAGMAS) db.pragma(pragma);
    const journal = db.pragma('journal_mode', { simple: true });
    if (journal !== 'wal')
      throw new Error(`could not switch the database to WAL (got ${String(journal)})`);
    migrate(db as WritableDb);
    return db as WritableDb;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function schemaVersion(db: ReadableDb): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies every migration above the database's version, each in its own transaction. */
export function migrate(db: WritableDb, target: number = LATEST_SCHEMA_VERSION): number {
  const current = schemaVersion(db);
  if (current > LATEST_SCHEMA_VERSION) throw new SchemaVersionError(current, LATEST_SCHEMA_VERSION);
  for (const migration of MIGRATIONS) {
    if (migration.version <= current || migration.version > target) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return schemaVersion(db);
}

/**
 * Moves every WAL frame into the database file and truncates the WAL to zero bytes, so page
 * images of deleted rows no longer exist in either file. Returns false if a reader kept it from
 * completing: while a reader holds a snapshot, frames past its mark cannot be copied (the main
 * file keeps the older page images) and the WAL cannot be cut. `waitMs` bounds how long it waits
 * for readers (the connection's busy timeout otherwise); 0 never blocks.
 */
export function checkpointTruncate(db: WritableDb, options: { waitMs?: number } = {}): boolean {
  const run = (): boolean => {
    const rows = db.pragma('main.wal_checkpoint(TRUNCATE)') as { busy: number; log: number }[];
    return rows[0]?.busy === 0 && rows[0].log === 0;
  };
  if (options.waitMs === undefined) return run();
  const previous = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.waitMs))}`);
  try {
    return run();
  } finally {
    db.pragma(`busy_timeout = ${previous}`);
  }
}

export function integrityCheck(db: ReadableDb): string[] {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  return rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
}

const statementCache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * A prepared statement cached per connection (preparing costs more than running the small
 * statements of the hot paths). Only for plain use: a cached statement must never be switched
 * to pluck/raw/expand mode, and not be iterated while another caller may run it.
 */
export function cachedStatement(db: ReadableDb, sql: string): Database.Statement {
  let cache = statementCache.get(db);
  if (!cache) {
    cache = new Map();
    statementCache.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}
