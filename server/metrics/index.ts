import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Subscriber } from '../events/index.js';
import { HttpMetrics } from './http.js';
export { HttpMetrics } from './http.js';
export { readApplianceState, setApplianceState, PRIVACY_DUE_SOON_DAYS } from './state.js';
export type { ApplianceState } from './state.js';

/**
 * The appliance's Prometheus metrics. Labels are fixed codes (routes, outcomes, categories),
 * never identifiers or personal data.
 */
export interface Metrics {
  registry: Registry;
  /** verikiosk_http_requests_total and verikiosk_http_request_duration_seconds (http.ts). */
  http: HttpMetrics;
  retentionDestroyed: Counter<'category' | 'rule'>;
  retentionRuns: Counter<'trigger' | 'outcome'>;
  auditEntries: Gauge;
  auditChainOk: Gauge;
  subjects: Gauge;
  keyUnlocked: Gauge;
  destructionsPending: Gauge;
  destructionsPendingSeconds: Gauge;
  /** Open Server-Sent Events streams, and clients dropped for not keeping up (api/sse/). */
  sseClients: Gauge<'stream'>;
  sseDropped: Counter<'stream'>;
  /** Read at each scrape (state.ts): what the alert rules in packaging/ watch. */
  webhookBacklog: Gauge;
  webhookBacklogOldestSeconds: Gauge;
  webhookFailing: Gauge;
  retentionLastRun: Gauge;
  privacyRequests: Gauge<'due'>;
  dataDirFreeBytes: Gauge;
  dataDirSizeBytes: Gauge;
  /** Sessions stopped under the minimum age, by reason: the `minor_stops` counts (no personal data). */
  minorStops: Counter<'reason'>;
  /** Stored face templates by recogniser (name, version) and whether it is the one in use. */
  faceTemplates: Gauge<'model' | 'version' | 'current'>;
  /** The fleet's reuse questions by outcome (answered, refused, held, unanswered): codes only. */
  fleetReuseQuestions: Counter<'outcome'>;
  /** Verification sessions kept, by kind and status (read at each scrape). */
  verifications: Gauge<'kind' | 'status'>;
  /** Decisions since start, from the event feed (policy or a case, any process). */
  decisions: Counter<'decision' | 'by'>;
  /** Devices known now, by kind and state (read at each scrape). */
  devices: Gauge<'kind' | 'state'>;
  /** The running 1:N face index: entries by kind, and what it cannot see (issue 17). */
  faceIndexEntries: Gauge<'kind'>;
  faceIndexUnsearchable: Gauge<'kind'>;
}

function gauge(registry: Registry, name: string, help: string): Gauge {
  return new Gauge({ name, help, registers: [registry] });
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ app: 'verikiosk' });
  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: 'verikiosk_' });
  return {
    registry,
    http: new HttpMetrics(
      registry,
      {
        requests: 'verikiosk_http_requests_total',
        duration: 'verikiosk_http_request_duration_seconds',
      },
      {
        requests: 'HTTP requests by method, route pattern and status',
        duration: 'HTTP request duration by method and route pattern',
      },
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    ),
    retentionDestroyed: new Counter({
      name: 'verikiosk_retention_destroyed_total',
      help: 'Records destroyed by the retention engine, by category and rule',
      labelNames: ['category', 'rule'],
      registers: [registry],
    }),
    retentionRuns: new Counter({
      name: 'verikiosk_retention_runs_total',
      help: 'Retention runs by trigger and outcome',
      labelNames: ['trigger', 'outcome'],
      registers: [registry],
    }),
    auditEntries: new Gauge({
      name: 'verikiosk_audit_entries',
      help: 'Entries in the audit log',
      registers: [registry],
    }),
    auditChainOk: new Gauge({
      name: 'verikiosk_audit_chain_ok',
      help: '1 when the audit chain verified at start, 0 when it is broken',
      registers: [registry],
    }),
    subjects: new Gauge({
      name: 'verikiosk_subjects',
      help: 'Subjects held in the vault',
      registers: [registry],
    }),
    destructionsPending: new Gauge({
      name: 'verikiosk_destructions_pending',
      help: 'Subjects or rows destroyed whose old page images are not yet overwritten in the files',
      registers: [registry],
    }),
    destructionsPendingSeconds: new Gauge({
      name: 'verikiosk_destructions_pending_oldest_seconds',
      help: 'Age of the oldest destruction not yet overwritten in the files (0 when none)',
      registers: [registry],
    }),
    sseClients: new Gauge({
      name: 'verikiosk_sse_clients',
      help: 'Open Server-Sent Events streams, by stream (events, pen)',
      labelNames: ['stream'],
      registers: [registry],
    }),
    sseDropped: new Counter({
      name: 'verikiosk_sse_dropped_total',
      help: 'Server-Sent Events clients dropped because they did not keep up, by stream',
      labelNames: ['stream'],
      registers: [registry],
    }),
    keyUnlocked: new Gauge({
      name: 'verikiosk_key_unlocked',
      help: '1 when the vault key is unlocked',
      registers: [registry],
    }),
    webhookBacklog: gauge(
      registry,
      'verikiosk_webhook_backlog',
      'Webhook deliveries not yet delivered',
    ),
    webhookBacklogOldestSeconds: gauge(
      registry,
      'verikiosk_webhook_backlog_oldest_seconds',
      'Age of the oldest undelivered webhook delivery (0 when none)',
    ),
    webhookFailing: gauge(
      registry,
      'verikiosk_webhook_failing_deliveries',
      'Undelivered webhook deliveries that failed at least once',
    ),
    retentionLastRun: gauge(
      registry,
      'verikiosk_retention_last_run_timestamp_seconds',
      'When the last retention run finished (Unix time; 0 when never)',
    ),
    privacyRequests: new Gauge({
      name: 'verikiosk_privacy_requests_open',
      help: 'Open privacy requests by deadline: overdue, soon (within 7 days), later',
      labelNames: ['due'],
      registers: [registry],
    }),
    dataDirFreeBytes: gauge(
      registry,
      'verikiosk_data_dir_free_bytes',
      "Free bytes on the data dir's file system (for unprivileged users)",
    ),
    dataDirSizeBytes: gauge(
      registry,
      'verikiosk_data_dir_size_bytes',
      "Size of the data dir's file system in bytes",
    ),
    fleetReuseQuestions: new Counter({
      name: 'verikiosk_fleet_reuse_questions_total',
      help: "Reuse questions to the fleet hub by outcome: answered, refused (the hub's per-branch limit), held (not asked before the hub's retry-after), unanswered",
      labelNames: ['outcome'],
      registers: [registry],
    }),
    minorStops: new Counter({
      name: 'verikiosk_minor_stops_total',
      help: 'Verification sessions stopped under the minimum age, by reason (read from minor_stops at each scrape)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    faceTemplates: new Gauge({
      name: 'verikiosk_face_templates',
      help: 'Stored face templates by recogniser model and version; current="false" ones cannot be compared (re-enrol: verikiosk faces reenrol-plan)',
      labelNames: ['model', 'version', 'current'],
      registers: [registry],
    }),
    verifications: new Gauge({
      name: 'verikiosk_verifications',
      help: 'Verification sessions kept, by kind and status (read at each scrape)',
      labelNames: ['kind', 'status'],
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'verikiosk_verification_decisions_total',
      help: 'Verification decisions since start, by decision and by whom (policy or case)',
      labelNames: ['decision', 'by'],
      registers: [registry],
    }),
    devices: new Gauge({
      name: 'verikiosk_devices',
      help: 'Devices known now, by kind (pad, reader) and state (connecting, connected, disconnected, error)',
      labelNames: ['kind', 'state'],
      registers: [registry],
    }),
    faceIndexEntries: new Gauge({
      name: 'verikiosk_face_index_entries',
      help: 'Entries in the running 1:N face index, by kind (template, fraud)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    faceIndexUnsearchable: new Gauge({
      name: 'verikiosk_face_index_unsearchable',
      help: 'What the 1:N face search cannot see after a change of recogniser: subjects whose templates are all of another recogniser, standing fraud faces of another recogniser',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}

/**
 * Counts decisions as the event feed delivers them (`verification.decided`, whichever process
 * decided: the policy at submit or a reviewer's case). Starts at the newest event: a counter
 * counts from the start of this process, as Prometheus expects.
 */
export function decisionsSubscriber(metrics: Metrics, name = 'metrics_decisions'): Subscriber {
  return {
    name,
    start: 'latest',
    handle: (event) => {
      if (event.type !== 'verification.decided') return;
      metrics.decisions.inc({
        decision: event.payload.decision,
        by: event.payload.byCase ? 'case' : 'policy',
      });
    },
  };
}

/** The devices gauge: every kind and state a series (0 when none), from the manager's list. */
export function setDeviceStates(
  metrics: Metrics,
  devices: readonly { kind: string; state: string }[],
): void {
  metrics.devices.reset();
  for (const kind of ['pad', 'reader'])
    for (const state of ['connecting', 'connected', 'disconnected', 'error'])
      metrics.devices.set({ kind, state }, 0);
  for (const d of devices) metrics.devices.inc({ kind: d.kind, state: d.state });
}
