import { z } from 'zod';

/** ok: all is well; degraded: serving, with a part failed (200); down: cannot serve (503). */
export const HEALTH_STATUSES = ['ok', 'degraded', 'down'] as const;
export const HealthStatusSchema = z.enum(HEALTH_STATUSES);
export type HealthStatus = z.infer<typeof HealthStatusSchema>;

/** What anyone may see: up or down, nothing that fingerprints the installation. */
export const PublicHealthSchema = z
  .object({ status: HealthStatusSchema })
  .meta({ id: 'PublicHealth', description: 'Up or down, for anyone.' });
export type PublicHealth = z.infer<typeof PublicHealthSchema>;

const timestamp = z.string().meta({ description: 'ISO 8601, UTC.' });

/** The audit chain as verified at start (from the last signed checkpoint to the head). */
export const AuditChainHealthSchema = z.object({
  ok: z.boolean(),
  /** The highest sequence number proven. */
  verifiedThrough: z.number().int().nullable(),
  /** Where the chain breaks; null when ok. */
  firstBadSeq: z.number().int().nullable(),
});
export type AuditChainHealth = z.infer<typeof AuditChainHealthSchema>;

export const FaceHealthSchema = z.object({
  state: z.string(),
  backend: z.string().nullable(),
  backendReason: z.string().nullable(),
  model: z.string(),
  workers: z.number().int(),
  running: z.number().int(),
  queued: z.number().int(),
  maxQueue: z.number().int(),
  loadMs: z.number().nullable(),
  warmUpMs: z.number().nullable(),
});
export type FaceHealth = z.infer<typeof FaceHealthSchema>;

/** The details, for a `metrics:read` key or (by config) a local caller. */
export const HealthSchema = PublicHealthSchema.extend({
  version: z.string(),
  uptimeSeconds: z.number().int(),
  database: z.object({ ok: z.boolean(), schemaVersion: z.number().int().nullable() }),
  keys: z.object({ unlocked: z.boolean() }),
  retention: z.object({ lastRunAt: timestamp.nullable(), nextRunAt: timestamp.nullable() }),
  /** Present once the face engine was started: its state, backend (wasm or tensorflow) and queue. */
  face: FaceHealthSchema.optional(),
  /** The 1:N face index: loading, ready or failed, and what it has read so far. */
  faceSearch: z
    .object({
      state: z.string(),
      templates: z.number().int(),
      fraud: z.number().int(),
      otherModel: z.number().int(),
      /** Rows that failed to decrypt or decode: skipped, the rest of the index is searchable. */
      damaged: z.number().int(),
    })
    .optional(),
  /** Destructions committed but not yet overwritten in the files (a reader holds a snapshot). */
  destructions: z.object({ pending: z.number().int(), since: timestamp.nullable() }),
  audit: AuditChainHealthSchema.optional(),
}).meta({
  id: 'Health',
  description: 'The appliance in detail, for a `metrics:read` key or (by config) a local caller.',
});
export type Health = z.infer<typeof HealthSchema>;
