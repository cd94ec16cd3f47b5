/**
 * The access and portability export (PRIV-3): every stored item about a subject, as a zip of a
 * machine-readable `data.json`, a human-readable `summary.html` and the subject's images and pen
 * samples as files. Which tables are read is data: EXPORT_SECTIONS (how each table's rows of the
 * subject are found and which sealed columns are opened) and EXPORT_EXCLUDED (tables left out,
 * each with its reason). A test walks the schema and fails when a table that references a subject
 * is in neither, so a new table is never forgotten by the export.
 *
 * Sealed values are opened only through `vault.openSealed` (one audited read per slice of rows,
 * purpose `access_request`). The job runs in slices with a yield between them, so the API keeps
 * answering while a large export is built.
 */
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import type { ReadableDb, SealedField, Vault } from '../../vault/index.js';

/** How a sealed column is put into the export. */
type SealedAs = 'text' | 'json' | 'file';

export interface ExportSection {
  /** The table read. */
  readonly table: string;
  /** SQL selecting the subject's rows; `:subject` is the subject id, `:verifications` a JSON list of theirs. */
  readonly where: string;
  /** The column whose value is the row's id (the sealed values' row id). */
  readonly idColumn: string;
  /** Sealed columns and how they are exported; every `_enc` column not listed here is left out. */
  readonly sealed?: Readonly<Record<string, SealedAs>>;
  /** The column naming a file's media type (for `file` columns). */
  readonly mimeColumn?: string;
  /** Columns left out, each for a reason (keys, blind indexes, templates). */
  readonly omit?: readonly string[];
  /** Text columns holding JSON. */
  readonly json?: readonly string[];
  /**
   * URL columns exported as their origin only (scheme, host, port): a receiver is named, but a
   * token in its path or query is the receiver's secret, not the subject's data.
   */
  readonly origin?: readonly string[];
  /** False when the row ids are not audit objects (integer ids that would match unrelated entries). */
  readonly auditObjects?: false;
}

const OF_SUBJECT = 'subject_id = :subject';
const OF_VERIFICATIONS = 'verification_id IN (SELECT value FROM json_each(:verifications))';
/**
 * A domain event's payload (server/events/catalogue.ts) names the subject by `subjectId` and their
 * verifications by `verificationId` (cases, consents, privacy requests and decisions carry one).
 */
const PAYLOAD_ABOUT_SUBJECT = (column: string) =>
  `json_extract(${column}, '$.subjectId') = :subject OR json_extract(${column}, '$.verificationId') IN (SELECT value FROM json_each(:verifications))`;

/** The tables an export covers, in the order of the bundle. */
export const EXPORT_SECTIONS: readonly ExportSection[] = [
  {
    table: 'subjects',
    where: 'id = :subject',
    idColumn: 'id',
    sealed: { profile_enc: 'json' },
    omit: ['name_dob_bidx'],
  },
  { table: 'legal_holds', where: OF_SUBJECT, idColumn: 'id' },
  {
    table: 'consents',
    where: OF_SUBJECT,
    idColumn: 'id',
    sealed: { evidence_enc: 'text' },
  },
  {
    // The texts the subject agreed to (the same for everyone: not sealed).
    table: 'consent_texts',
    where: 'id IN (SELECT consent_text_id FROM consents WHERE subject_id = :subject)',
    idColumn: 'id',
  },
  {
    table: 'verifications',
    where: OF_SUBJECT,
    idColumn: 'id',
    sealed: { external_ref_enc: 'text' },
    json: ['checks', 'reason_codes', 'steps_done'],
  },
  {
    table: 'verification_captures',
    where: OF_VERIFICATIONS,
    idColumn: 'verification_id',
    json: ['result'],
  },
  {
    table: 'documents',
    where: OF_SUBJECT,
    idColumn: 'id',
    sealed: { record_enc: 'json' },
    omit: ['document_number_bidx'],
  },
  {
    table: 'document_images',
    where: OF_SUBJECT,
    idColumn: 'id',
    sealed: { image_enc: 'file' },
    mimeColumn: 'mime',
  },
  {
    // Metadata only: a template is a model's feature vector, meaningless outside the appliance.
    table: 'biometric_templates',
    where: OF_SUBJECT,
    idColumn: 'id',
    omit: ['template_enc'],
  },
  {
    table: 'biometric_samples',
    where: OF_SUBJECT,
    idColumn: 'id',
    sealed: { sample_enc: 'file' },
    mimeColumn: 'mime',
  },
  {
    table: 'reviews',
    where: `${OF_SUBJECT} OR ${OF_VERIFICATIONS}`,
    idColumn: 'id',
    sealed: { notes_enc: 'text', second_notes_enc: 'text' },
    json: ['policy_reasons'],
  },
  {
    table: 'privacy_requests',
    where: 'subject_ref = :subject OR subject_id = :subject',
    idColumn: 'id',
    json: ['purposes', 'retained'],
  },
  {
    // The bundles themselves are left out: each was released to the subject already.
    table: 'privacy_request_data',
    where: OF_SUBJECT,
    idColumn: 'id',
    // The requester's contact: where the answers to the subject's requests go (theirs to see).
    sealed: { evidence_enc: 'text', change_enc: 'json', requester_enc: 'json' },
    omit: ['bundle_enc'],
  },
  { table: 'subject_objections', where: OF_SUBJECT, idColumn: 'subject_id' },
  {
    // A minor's session linked to a guardian's verification: either side sees the link.
    table: 'guardian_links',
    where: 'minor_subject_id = :subject OR guardian_subject_id = :subject',
    idColumn: 'id',
  },
  {
    // What the fleet was told of a verification: the document's type and issuer. The fleet
    // indexes are keyed hashes under the fleet key, meaningless without it: left out.
    table: 'fleet_signals',
    where: OF_VERIFICATIONS,
    idColumn: 'verification_id',
    omit: ['document_fidx', 'identity_fidx'],
  },
  {
    // What those indexes were computed from (the normalised document number, name and birth
    // date), kept sealed under the subject's key only so a fleet-key rotation can re-index.
    table: 'fleet_signal_inputs',
    where: OF_SUBJECT,
    idColumn: 'id',
    sealed: { inputs_enc: 'json' },
  },
  {
    // What happened to the subject's data, as the event feed told it (ids and codes). Events are
    // kept 30 days (server/events/feed.ts): older ones are gone, their deliveries below remain.
    table: 'events',
    where: PAYLOAD_ABOUT_SUBJECT('payload'),
    idColumn: 'id',
    json: ['payload'],
    auditObjects: false,
  },
  {
    // What was sent about the subject to the branch system, when, and how it went (GDPR art. 15
    // (1)(c): the recipients). The body is the event's payload; never a signature or secret.
    table: 'webhook_deliveries',
    where: PAYLOAD_ABOUT_SUBJECT('payload'),
    idColumn: 'id',
    json: ['payload'],
    auditObjects: false,
  },
  {
    // The receivers of those deliveries, named by origin and description: their secrets, the
    // path and query of their URL (often a token) and who configured them are left out.
    table: 'webhook_endpoints',
    where: `id IN (SELECT endpoint_id FROM webhook_deliveries WHERE ${PAYLOAD_ABOUT_SUBJECT('payload')})`,
    idColumn: 'id',
    omit: ['secret_enc', 'previous_secret_enc', 'previous_secret_expires_at', 'created_by'],
    json: ['events'],
    origin: ['url'],
    auditObjects: false,
  },
];

/** Tables that reference a subject and are not exported, with the reason. */
export const EXPORT_EXCLUDED: Readonly<Record<string, string>> = {
  subject_keys: "the subject's wrapped data key: key material, never released",
  subject_tombstones: 'ids of destroyed subjects only: a living subject has none',
  fraud_list_entries:
    'fraud-prevention records kept under a legal duty; disclosed by staff on request where the law allows',
};

/** The audit entries about the subject: those whose object is the subject or one of their rows. */
const AUDIT_SQL = `SELECT seq, at, actor, action, object_type, object_id, details FROM audit_log
  WHERE object_id IN (SELECT value FROM json_each(:objects)) ORDER BY seq`;

export interface ExportProgress {
  (fraction: number): void;
}

export interface BuiltExport {
  zip: Uint8Array;
  items: number;
}

const ROWS_PER_SLICE = 200;
const MIME_EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'application/json': 'json',
  'image/svg+xml': 'svg',
};

type Row = Record<string, unknown>;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Builds the bundle of one subject for one request. `actor` is the audit actor of the reads
 * (`system`: the job acts on the request); `onProgress` gets a fraction after each slice.
 */
export async function buildSubjectExport(
  vault: Vault,
  input: { subjectId: string; requestId: string; actor: string },
  onProgress: ExportProgress,
): Promise<BuiltExport> {
  const { subjectId, requestId } = input;
  const verifications = vault.read(
    (db) =>
      db
        .prepare('SELECT id FROM verifications WHERE subject_id = ?')
        .pluck()
        .all(subjectId) as string[],
  );
  const params = { subject: subjectId, verifications: JSON.stringify(verifications) };
  const tables: Record<string, Row[]> = {};
  const files: Record<string, Uint8Array> = {};
  const fileList: {
    path: string;
    table: string;
    rowId: string;
    column: string;
    mime: string;
    bytes: number;
  }[] = [];
  const objectIds = new Set<string>([subjectId, requestId]);
  let items = 0;
  const steps = EXPORT_SECTIONS.length + 2;
  for (const [index, section] of EXPORT_SECTIONS.entries()) {
    tables[section.table] = [];
    let afterRowid = 0;
    for (;;) {
      if (!vault.isOpen) throw new Error('the vault closed during the export');
      const slice = vault.read(
        (db) =>
          db
            .prepare(
              `SELECT rowid AS vk_rowid, * FROM ${section.table} WHERE (${section.where}) AND rowid > :after
               ORDER BY rowid LIMIT ${ROWS_PER_SLICE}`,
            )
            .all({ ...params, after: afterRowid }) as Row[],
      );
      if (slice.length === 0) break;
      afterRowid = slice[slice.length - 1]!.vk_rowid as number;
      const rows = openSlice(vault, section, slice, input);
      for (const { row, opened } of rows) {
        const id = String(row[section.idColumn]);
        if (section.auditObjects !== false) objectIds.add(id);
        const out: Row = {};
        for (const [column, value] of Object.entries(row)) {
          if (column === 'vk_rowid' || section.omit?.includes(column)) continue;
          if (column.endsWith('_enc')) continue;
          if (value instanceof Uint8Array) continue;
          out[column] =
            section.origin?.includes(column) && typeof value === 'string'
              ? originOf(value)
              : section.json?.includes(column) && typeof value === 'string'
                ? parseJson(value)
                : value;
        }
        for (const [column, value] of Object.entries(opened)) {
          const as = section.sealed?.[column];
          if (value === null) {
            out[column.replace(/_enc$/, '')] = null;
          } else if (as === 'file') {
            const declared = row[section.mimeColumn ?? ''];
            const mime = typeof declared === 'string' ? declared : 'application/octet-stream';
            const path = `files/${section.table}/${id}-${column.replace(/_enc$/, '')}.${MIME_EXTENSIONS[mime] ?? 'bin'}`;
            files[path] = value;
            fileList.push({
              path,
              table: section.table,
              rowId: id,
              column,
              mime,
              bytes: value.length,
            });
            out[column.replace(/_enc$/, '')] = { file: path };
          } else {
            const text = new TextDecoder().decode(value);
            out[column.replace(/_enc$/, '')] = as === 'json' ? parseJson(text) : text;
          }
        }
        tables[section.table]!.push(out);
        items++;
      }
      onProgress((index + 0.5) / steps);
      await yieldToLoop();
      if (slice.length < ROWS_PER_SLICE) break;
    }
    onProgress((index + 1) / steps);
  }
  const audit = vault.read(
    (db) => db.prepare(AUDIT_SQL).all({ objects: JSON.stringify([...objectIds]) }) as Row[],
  );
  tables.audit_log = audit.map((entry) => ({
    ...entry,
    details: parseJson(String(entry.details)),
  }));
  items += audit.length;
  onProgress((steps - 1) / steps);
  const generatedAt = vault.now.toISOString();
  const data = {
    format: 'verikiosk-subject-export',
    version: 1,
    subjectId,
    requestId,
    generatedAt,
    tables,
    files: fileList,
    excluded: EXPORT_EXCLUDED,
  };
  const encoder = new TextEncoder();
  files['data.json'] = encoder.encode(JSON.stringify(data, null, 2));
  files['summary.html'] = encoder.encode(summaryHtml(data));
  const bundle = await zipInSlices(files);
  for (const file of fileList) files[file.path]?.fill(0);
  return { zip: bundle, items };
}

/**
 * The zip, one file per turn of the event loop: images are stored as they are (already
 * compressed), the rest deflated. fflate's one-call `zip` deflates every file under 160 kB in one
 * synchronous loop and starts a worker per larger one at once; this keeps both bounded.
 */
async function zipInSlices(files: Record<string, Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const state: { failure: Error | null } = { failure: null };
  const archive = new Zip((error, chunk) => {
    if (error) state.failure = error;
    else chunks.push(chunk);
  });
  for (const [name, bytes] of Object.entries(files)) {
    const entry = /\.(jpg|png)$/.test(name)
      ? new ZipPassThrough(name)
      : new ZipDeflate(name, { level: 6 });
    archive.add(entry);
    entry.push(bytes, true);
    if (state.failure !== null) throw state.failure;
    await yieldToLoop();
  }
  archive.end();
  if (state.failure !== null) throw state.failure;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Opens the sealed columns of a slice in one audited read; plaintexts are copied out. */
function openSlice(
  vault: Vault,
  section: ExportSection,
  slice: Row[],
  input: { subjectId: string; requestId: string; actor: string },
): { row: Row; opened: Record<string, Uint8Array | null> }[] {
  const fields: SealedField[] = [];
  const slots: { row: number; column: string }[] = [];
  const opened: Record<string, Uint8Array | null>[] = slice.map(() => ({}));
  slice.forEach((row, i) => {
    for (const column of Object.keys(section.sealed ?? {})) {
      if (!(column in row)) continue;
      const sealed = row[column];
      if (!(sealed instanceof Uint8Array)) {
        opened[i]![column] = null;
        continue;
      }
      fields.push({
        owner: { subjectId: input.subjectId },
        ref: { table: section.table, column, rowId: String(row[section.idColumn]) },
        sealed,
      });
      slots.push({ row: i, column });
    }
  });
  if (fields.length > 0) {
    vault.openSealed(
      {
        actor: input.actor,
        action: 'pii.read',
        purpose: 'access_request',
        objectType: 'privacy_request',
        objectId: input.requestId,
        details: { table: section.table, fields: fields.length },
      },
      fields,
      (plaintexts) => {
        plaintexts.forEach((plaintext, k) => {
          const slot = slots[k]!;
          opened[slot.row]![slot.column] = new Uint8Array(plaintext);
        });
        return { value: undefined, outcome: 'exported' };
      },
    );
  }
  return slice.map((row, i) => ({ row, opened: opened[i]! }));
}

/** A URL's origin (`https://crm.example:8443`); null for a value that is not a URL. */
function originOf(value: string): string | null {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return escapeHtml(value);
  return escapeHtml(JSON.stringify(value));
}

/** The human-readable page: each table with its rows, files linked. */
function summaryHtml(data: {
  subjectId: string;
  generatedAt: string;
  tables: Record<string, Row[]>;
  excluded: Readonly<Record<string, string>>;
}): string {
  const parts = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Your data</title>',
    '<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #999;padding:4px;vertical-align:top;font-size:90%}</style>',
    '</head><body>',
    '<h1>The data we hold about you</h1>',
    `<p>Subject ${escapeHtml(data.subjectId)}, exported ${escapeHtml(data.generatedAt)}. The same data, machine-readable, is in <code>data.json</code>.</p>`,
  ];
  for (const [table, rows] of Object.entries(data.tables)) {
    parts.push(`<h2>${escapeHtml(table)} (${rows.length})</h2>`);
    if (rows.length === 0) continue;
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    parts.push('<table><tr>', ...columns.map((c) => `<th>${escapeHtml(c)}</th>`), '</tr>');
    for (const row of rows) {
      parts.push('<tr>');
      for (const c of columns) {
        const value = row[c];
        const file = (value as { file?: unknown } | null)?.file;
        parts.push(
          typeof file === 'string'
            ? `<td><a href="${escapeHtml(file)}">${escapeHtml(file)}</a></td>`
            : `<td>${cell(value)}</td>`,
        );
      }
      parts.push('</tr>');
    }
    parts.push('</table>');
  }
  parts.push('<h2>Not included</h2><ul>');
  for (const [table, reason] of Object.entries(data.excluded)) {
    parts.push(`<li><code>${escapeHtml(table)}</code>: ${escapeHtml(reason)}</li>`);
  }
  parts.push('</ul></body></html>');
  return parts.join('\n');
}

/** The tables an export reads or leaves out on purpose (for the completeness test and docs). */
export function exportCoverage(): { covered: string[]; excluded: string[] } {
  return { covered: EXPORT_SECTIONS.map((s) => s.table), excluded: Object.keys(EXPORT_EXCLUDED) };
}

/**
 * For tests: the subject-referencing columns of the schema (see the completeness test): a
 * `subject_id` or `subject_ref`, a foreign key to subjects or verifications, a `…verification_id`,
 * and a `payload` (a domain event's payload names subjects and verifications by id inside JSON,
 * where no foreign key can show it: the events table and the webhook deliveries).
 */
export function subjectReferencingTables(db: ReadableDb): Map<string, string[]> {
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  const out = new Map<string, string[]>();
  for (const table of tables) {
    const fks = db
      .prepare('SELECT "table" AS parent, "from" AS col FROM pragma_foreign_key_list(?)')
      .all(table) as {
      parent: string;
      col: string;
    }[];
    const columns = db
      .prepare('SELECT name FROM pragma_table_info(?)')
      .pluck()
      .all(table) as string[];
    const referencing = columns.filter(
      (c) =>
        c === 'subject_id' ||
        c === 'subject_ref' ||
        // A domain event's payload, wherever it is kept, names subjects and verifications.
        c === 'payload' ||
        c === 'payload_enc' ||
        /(^|_)verification_id$/.test(c) ||
        fks.some((f) => f.col === c && (f.parent === 'subjects' || f.parent === 'verifications')),
    );
    if (table === 'subjects' || referencing.length > 0) out.set(table, referencing);
  }
  return out;
}
