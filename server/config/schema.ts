/**
 * The schema of config.json. Every object is strict, every setting has a default, so `{}`
 * parses to the full default config.
 *
 * Error messages here are tails ("must be an integer from 1 to 65535"); issues.ts prefixes
 * the dotted key. None of them may mention the submitted value (SPEC API-5, §5).
 */
import { BlockList, isIP } from 'node:net';

import { Cron } from 'croner';
import * as z from 'zod';

import { addIsoDuration, tryParseIsoDuration } from './duration.js';
import type { ConfigRule } from './issues.js';
import { RETENTION_RULE_IDS, type RetentionRuleId } from './retention-rules.js';

const MIB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Field builders

const mustBe = (what: string): string => `must be ${what}`;

/** Rules that compare settings run only when every setting in the section is valid on its own. */
const whenSectionValid = {
  when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0,
};

function integerIn(min: number, max: number, what = `an integer from ${min} to ${max}`) {
  const error = mustBe(what);
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** A probability strictly between 0 and 1 (a false-match or false-accept rate). */
function rate() {
  const error = mustBe('a number greater than 0 and less than 1');
  return z.number({ error }).gt(0, { error }).lt(1, { error });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: mustBe(`one of ${values.map((value) => `"${value}"`).join(', ')}`),
  });
}

function flag() {
  return z.boolean({ error: mustBe('true or false') });
}

function filePath() {
  return z
    .string({ error: mustBe('a file path') })
    .refine((path) => path.length > 0 && path.length <= 4096 && !path.includes('\0'), {
      error: mustBe('a non-empty file path'),
      params: { rule: 'format' satisfies ConfigRule },
    });
}

function isoDuration() {
  const error = mustBe('an ISO-8601 duration such as "P30D", "P3Y" or "PT0S"');
  // 100 years keeps the retention engine's date arithmetic far inside what Date can represent.
  const latest = Date.UTC(2070, 0, 1);
  return z.string({ error }).superRefine((text, ctx) => {
    const duration = tryParseIsoDuration(text);
    if (duration === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: error,
        params: { rule: 'format' satisfies ConfigRule },
      });
      return;
    }
    let withinLimit: boolean;
    try {
      withinLimit = addIsoDuration(new Date(0), duration).getTime() <= latest;
    } catch {
      withinLimit = false;
    }
    if (!withinLimit) {
      ctx.addIssue({
        code: 'custom',
        message: mustBe('at most 100 years'),
        params: { rule: 'range' satisfies ConfigRule },
      });
    }
  });
}

/**
 * A 5- or 6-field cron expression that croner accepts, that fires at least once, and whose runs
 * are never closer together than `minimumGapMs`.
 */
function cronExpression(minimumGapMs: number) {
  const error = mustBe('a cron expression with 5 or 6 fields, such as "17 * * * *"');
  return z.string({ error }).superRefine((expression, ctx) => {
    const fields = expression.trim().split(/\s+/);
    let runs: Date[] = [];
    if (fields.length === 5 || fields.length === 6) {
      try {
        const cron = new Cron(expression, { paused: true, mode: '5-or-6-parts', timezone: 'UTC' });
        runs = cron.nextRuns(CRON_RUNS_CHECKED, CRON_CHECK_FROM);
      } catch {
        runs = [];
      }
    }
    if (runs.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: error,
        params: { rule: 'format' satisfies ConfigRule },
      });
      return;
    }
    if (shortestGapMs(runs) < minimumGapMs) {
      ctx.addIssue({
        code: 'custom',
        message: mustBe(
          `a schedule whose runs are at least ${minimumGapMs / 60_000} minutes apart`,
        ),
        params: { rule: 'too_frequent' satisfies ConfigRule },
      });
    }
  });
}

/**
 * A cron field set is a cross product, so the closest pair of runs recurs in every matching
 * hour, day or month; 600 consecutive runs from a fixed date cover it for any schedule that fires
 * more often than every five minutes anywhere (a leap-day schedule included: croner skips ahead).
 */
const CRON_RUNS_CHECKED = 600;
const CRON_CHECK_FROM = new Date(Date.UTC(2024, 0, 1));

function shortestGapMs(runs: readonly Date[]): number {
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < runs.length; i += 1) {
    shortest = Math.min(shortest, runs[i]!.getTime() - runs[i - 1]!.getTime());
  }
  return shortest;
}

/**
 * Retention runs at most every 5 minutes. Each run takes the vault's write lock, scans every
 * category and audits what it destroyed. Running more often buys no privacy: withdrawal and
 * deletion requests destroy at once, outside the schedule, and scheduled periods are days to
 * years, so 5 minutes late is nothing; a seconds-level cron would keep the writer busy instead.
 */
export const RETENTION_MINIMUM_GAP_MS = 5 * 60_000;

/** A USB vendor or product id: a number, or a hex string such as "0x056a". */
function usbId() {
  const what = 'a USB id from 0 to 0xffff, as a number or a hex string such as "0x056a"';
  return z.preprocess(
    (value) =>
      typeof value === 'string' && /^0x[0-9a-f]{1,12}$/i.test(value)
        ? Number.parseInt(value, 16)
        : value,
    integerIn(0, 0xffff, what),
  );
}

// ---------------------------------------------------------------------------------------------
// Hosts

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

const HOST_NAME =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** True for 127.0.0.0/8, ::1 (in any spelling, IPv4-mapped included) and "localhost". */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost') return true;
  const family = isIP(name);
  if (family === 0) return false;
  return loopback.check(name, family === 6 ? 'ipv6' : 'ipv4');
}

function hostField() {
  const error = mustBe('an IP address or a host name');
  // A name whose last label is all digits would be a mistyped IPv4 address ("10.0.0.256").
  const isHostName = (host: string) => HOST_NAME.test(host) && !/(?:^|\.)\d+\.?$/.test(host);
  return z.string({ error }).refine((host) => isIP(host) !== 0 || isHostName(host), {
    error,
    params: { rule: 'format' satisfies ConfigRule },
  });
}

// ---------------------------------------------------------------------------------------------
// Sections

const AN_OBJECT = 'an object';

/**
 * Who may read the appliance's telemetry (/metrics, health details): callers with a key holding
 * `metrics:read` (or `admin`) always; 'loopback' adds callers whose socket is on this machine;
 * 'public' anyone.
 */
export const TELEMETRY_ACCESS = ['scope', 'loopback', 'public'] as const;
export type TelemetryAccess = (typeof TELEMETRY_ACCESS)[number];

const tlsSchema = z.strictObject(
  { certFile: filePath(), keyFile: filePath() },
  { error: mustBe('an object with certFile and keyFile, or null') },
);

const rateBucket = (burst: number, perSecond: number) =>
  z
    .strictObject(
      {
        burst: integerIn(1, 1_000_000).default(burst),
        perSecond: integerIn(1, 1_000_000).default(perSecond),
      },
      { error: mustBe('an object with burst and perSecond') },
    )
    .prefault({});

const serverSchema = z
  .strictObject(
    {
      host: hostField().default('127.0.0.1'),
      port: integerIn(1, 65535).default(8420),
      tls: tlsSchema.nullable().default(null),
      /** The largest body of a JSON operation (every route outside the image uploads). */
      bodyLimitBytes: integerIn(1024, 1024 * MIB).default(64 * 1024),
      /** The largest body of an image upload route (captures, document and face images). */
      maxImageBytes: integerIn(1024, 1024 * MIB).default(10 * MIB),
      trustProxy: flag().default(false),
      /** Time a client has to send the request line and headers (slow-header clients). */
      headersTimeoutMs: integerIn(100, 300_000).default(10_000),
      /** Time a client has to send the whole request, body included. */
      requestTimeoutMs: integerIn(100, 3_600_000).default(120_000),
      /** Time an idle keep-alive connection stays open between requests. */
      keepAliveTimeoutMs: integerIn(100, 600_000).default(5_000),
      /**
       * Token buckets on /api/*: per client address (every request) and per API key. `burst`
       * requests at once, refilled at `perSecond`; beyond that 429 with Retry-After.
       */
      rateLimit: z
        .strictObject(
          {
            enabled: flag().default(true),
            perKey: rateBucket(600, 100),
            perAddress: rateBucket(300, 50),
          },
          { error: mustBe(AN_OBJECT) },
        )
        .prefault({}),
      /** Server-Sent Events: heartbeat comments, bytes queued per client, clients, lag before a drop (api/sse/). */
      sse: z
        .strictObject(
          {
            heartbeatMs: integerIn(1000, 300_000).default(15_000),
            bufferBytes: integerIn(4096, 64 * MIB).default(MIB),
            maxClients: integerIn(1, 10_000).default(256),
            maxLagEvents: integerIn(100, 1_000_000).default(10_000),
          },
          { error: mustBe(AN_OBJECT) },
        )
        .prefault({}),
      /** Staff sessions: idle and absolute expiry; lockout of a user and of an address. */
      sessions: z
        .strictObject(
          {
            idleMinutes: integerIn(1, 1440).default(15),
            absoluteHours: integerIn(1, 168).default(8),
            lockoutAfter: integerIn(1, 100).default(5),
            lockoutSeconds: integerIn(1, 86_400).default(60),
            lockoutMaxSeconds: integerIn(1, 604_800).default(3600),
            addressLockoutAfter: integerIn(1, 10_000).default(20),
          },
          { error: mustBe(AN_OBJECT) },
        )
        .prefault({}),
      /** Who may read /metrics and the details of /api/v1/health. */
      metrics: z
        .strictObject(
          { access: oneOf(TELEMETRY_ACCESS).default('loopback') },
          { error: mustBe(AN_OBJECT) },
        )
        .prefault({}),
    },
    { error: mustBe(AN_OBJECT) },
  )
  .superRefine((server, ctx) => {
    if (server.headersTimeoutMs > server.requestTimeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['headersTimeoutMs'],
        message: 'must be less than or equal to server.requestTimeoutMs',
        params: { rule: 'order' satisfies ConfigRule },
      });
    }
    // SPEC API-5: TLS when bound beyond loopback.
    if (server.tls === null && !isLoopbackHost(server.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message:
          'is required when server.host is not a loopback address (127.0.0.0/8, ::1 or localhost)',
        params: { rule: 'tls_required' satisfies ConfigRule },
      });
    }
  }, whenSectionValid);

export const KDF_PROFILES = ['interactive', 'moderate', 'sensitive'] as const;

const keysSchema = z.strictObject(
  {
    /** The unattended master-key file; a relative path is relative to the data dir. */
    keyFile: filePath().default('master.key'),
    /** libsodium crypto_pwhash limits used when sealing the master key under a passphrase. */
    kdf: oneOf(KDF_PROFILES).default('moderate'),
  },
  { error: mustBe(AN_OBJECT) },
);

const retentionOverrideSchema = z.strictObject(
  { after: isoDuration().optional(), enabled: flag().optional() },
  { error: mustBe('an object with "after" and/or "enabled"') },
);

const retentionRulesShape = Object.fromEntries(
  RETENTION_RULE_IDS.map((id) => [id, retentionOverrideSchema.optional()]),
) as Record<RetentionRuleId, z.ZodOptional<typeof retentionOverrideSchema>>;

/**
 * Consent withdrawal and deletion requests must destroy biometrics (PRIV-1, PRIV-3): these are
 * promises to the End-User, so config may lengthen nothing about them and may not switch them off.
 */
const LOCKED_RULES: readonly RetentionRuleId[] = [
  'biometrics.consent_withdrawn',
  'biometrics.deletion_request',
];

function privacyRulesStayOn(
  rules: Readonly<
    Partial<Record<RetentionRuleId, { enabled?: boolean | undefined; after?: string | undefined }>>
  >,
  ctx: z.RefinementCtx,
): void {
  for (const id of LOCKED_RULES) {
    const override = rules[id];
    if (
      override?.enabled === false ||
      (override?.after !== undefined && override.after !== 'PT0S')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: [id],
        message:
          'cannot be switched off or delayed: withdrawing consent or asking for deletion destroys biometrics at once',
        params: { rule: 'locked' satisfies ConfigRule },
      });
    }
  }
}

const retentionSchema = z.strictObject(
  {
    schedule: cronExpression(RETENTION_MINIMUM_GAP_MS).default('17 * * * *'),
    runOnStart: flag().default(true),
    /** Overrides of the default retention rules, keyed by rule id. */
    rules: z
      .strictObject(retentionRulesShape, { error: mustBe('an object keyed by retention rule id') })
      .superRefine(privacyRulesStayOn)
      .default(() => ({})),
  },
  { error: mustBe(AN_OBJECT) },
);

const JURISDICTION = /^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$/;

const DOCUMENT_SOURCE_LIST = ['reader', 'image', 'text'] as const;
const documentSourcesSchema = z
  .array(oneOf(DOCUMENT_SOURCE_LIST), { error: mustBe('a list of document sources') })
  .min(1, { error: mustBe('a non-empty list of document sources') })
  .refine((list) => new Set(list).size === list.length, {
    error: mustBe('a list without repeats'),
    params: { rule: 'format' satisfies ConfigRule },
  });

const policiesSchema = z
  .strictObject(
    {
      minimumAge: integerIn(0, 120).default(13),
      ageOfMajority: integerIn(1, 120).default(18),
      ageOfMajorityByJurisdiction: z
        .record(z.string().regex(JURISDICTION), integerIn(1, 120), {
          error: (issue) =>
            issue.code === 'invalid_key'
              ? 'is not an ISO 3166 country or subdivision code such as "US" or "US-AL"'
              : mustBe('an object mapping ISO 3166 codes to ages'),
        })
        .default(() => ({ 'US-AL': 19, 'US-NE': 19, 'US-MS': 21 })),
      resubmissionLimit: integerIn(0, 100).default(3),
      sessionTimeoutMinutes: integerIn(1, 1440).default(30),
      /** Where a kind's document may come from (all of reader, image, text when absent). */
      documentSources: z
        .strictObject(
          { identity: documentSourcesSchema.optional() },
          { error: mustBe('an object mapping "identity" to document sources') },
        )
        .optional(),
    },
    { error: mustBe(AN_OBJECT) },
  )
  .superRefine((policies, ctx) => {
    if (policies.minimumAge >= policies.ageOfMajority) {
      ctx.addIssue({
        code: 'custom',
        path: ['minimumAge'],
        message: 'must be less than policies.ageOfMajority',
        params: { rule: 'order' satisfies ConfigRule },
      });
    }
    for (const [jurisdiction, age] of Object.entries(policies.ageOfMajorityByJurisdiction)) {
      if (age <= policies.minimumAge) {
        ctx.addIssue({
          code: 'custom',
          path: ['ageOfMajorityByJurisdiction', jurisdiction],
          message: 'must be greater than policies.minimumAge',
          params: { rule: 'order' satisfies ConfigRule },
        });
      }
    }
  }, whenSectionValid);

/** Approving demands the stricter (smaller) error rate, so the approve rate may not exceed the review rate. */
function approveNotLooserThanReview(section: string, approveKey: string, reviewKey: string) {
  return (pair: Readonly<Record<string, number>>, ctx: z.RefinementCtx): void => {
    const approve = pair[approveKey];
    const review = pair[reviewKey];
    if (approve !== undefined && review !== undefined && approve > review) {
      ctx.addIssue({
        code: 'custom',
        path: [approveKey],
        message: `must be less than or equal to ${section}.${reviewKey}`,
        params: { rule: 'order' satisfies ConfigRule },
      });
    }
  };
}

const thresholdsSchema = z.strictObject(
  {
    /** Face match thresholds as target false-match rates (SPEC FACE-2, §4). */
    face: z
      .strictObject(
        { approveAtFmr: rate().default(1e-4), reviewAtFmr: rate().default(1e-3) },
        { error: mustBe(AN_OBJECT) },
      )
      .superRefine(
        approveNotLooserThanReview('thresholds.face', 'approveAtFmr', 'reviewAtFmr'),
        whenSectionValid,
      )
      .prefault({}),
    /** Signature thresholds as target false-accept rates (SPEC SIG-3). */
    signature: z
      .strictObject(
        { approveAtFar: rate().default(0.01), reviewAtFar: rate().default(0.05) },
        { error: mustBe(AN_OBJECT) },
      )
      .superRefine(
        approveNotLooserThanReview('thresholds.signature', 'approveAtFar', 'reviewAtFar'),
        whenSectionValid,
      )
      .prefault({}),
  },
  { error: mustBe(AN_OBJECT) },
);

/** Per-device driver settings (device/'s DeviceSettings); each driver reads the ones it knows. */
const deviceSettingsSchema = z.strictObject(
  {
    model: z
      .string({ error: mustBe('a model name') })
      .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, { error: mustBe('a model name') })
      .optional(),
    baudRate: integerIn(50, 4_000_000).optional(),
    dataBits: integerIn(5, 8).optional(),
    parity: oneOf(['none', 'even', 'odd', 'mark', 'space']).optional(),
    stopBits: z
      .union([z.literal(1), z.literal(1.5), z.literal(2)], { error: mustBe('1, 1.5 or 2') })
      .optional(),
    flowControl: oneOf(['none', 'rtscts', 'xonxoff']).optional(),
    framing: oneOf(['stx-etx', 'suffix', 'inter-byte-timeout', 'rte']).optional(),
    suffix: z
      .string({ error: mustBe('hex bytes such as "0d0a"') })
      .regex(/^(?:[0-9a-fA-F]{2}){1,8}$/, { error: mustBe('1 to 8 hex bytes such as "0d0a"') })
      .optional(),
    prefix: z
      .string({ error: mustBe('hex bytes such as "02"') })
      .regex(/^(?:[0-9a-fA-F]{2}){1,8}$/, { error: mustBe('1 to 8 hex bytes such as "02"') })
      .optional(),
    intervalMs: integerIn(1, 60_000).optional(),
    mrzTimeoutMs: integerIn(1, 60_000).optional(),
    maxFrameBytes: integerIn(16, MIB).optional(),
  },
  { error: mustBe('an object of driver settings') },
);

const deviceModelSchema = z.strictObject(
  {
    /** HID only: claim the interface with this usage page (0x8c HID POS, 0x0d digitizers). */
    usagePage: integerIn(0, 0xffff).optional(),
    settings: deviceSettingsSchema.optional(),
    vendorId: usbId(),
    productIds: z
      .array(usbId(), { error: mustBe('a non-empty list of USB product ids') })
      .min(1, { error: mustBe('a non-empty list of USB product ids') }),
    driver: z
      .string({ error: mustBe('a driver name') })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
        error: mustBe('a driver name of up to 64 letters, digits, ".", "_" or "-"'),
      }),
    name: z
      .string({ error: mustBe('a display name') })
      .refine((name) => name.length > 0 && name.length <= 100, {
        error: mustBe('a display name of 1 to 100 characters'),
        params: { rule: 'range' satisfies ConfigRule },
      })
      .optional(),
  },
  { error: mustBe('an object with vendorId, productIds and driver') },
);

/** A device named by its path (config's devices.ports), for devices without useful USB ids. */
const devicePortSchema = z.strictObject(
  {
    path: filePath(),
    driver: deviceModelSchema.shape.driver,
    name: deviceModelSchema.shape.name,
    settings: deviceSettingsSchema.optional(),
  },
  { error: mustBe('an object with path and driver') },
);

const devicesSchema = z.strictObject(
  {
    // Never by default: a branch appliance must not take simulated reads for real ones.
    simulate: oneOf(['auto', 'always', 'never']).default('never'),
    pollIntervalMs: integerIn(200, 600_000).default(2000),
    /** Extra rows for the device table (SPEC DEV-3): VID/PID → driver. */
    models: z
      .array(deviceModelSchema, { error: mustBe('a list of device models') })
      .default(() => []),
    /** Devices by path (an RS-232 port, a /dev/serial/by-id link), claimed without ids. */
    ports: z.array(devicePortSchema, { error: mustBe('a list of device ports') }).optional(),
  },
  { error: mustBe(AN_OBJECT) },
);

/**
 * The face engine (SPEC FACE-1): inference threads, the queue in front of them, and the limits
 * on submitted images. Absent means every default; init's starter config.json spells them out.
 */
const faceSchema = z.strictObject(
  {
    /** Worker threads for face inference (absent: half the cores, 1–4); 0 runs it on the main thread. */
    workers: integerIn(0, 16).optional(),
    /** Requests that may wait for a worker before the engine answers 'busy'. */
    maxQueue: integerIn(0, 1000).default(8),
    maxFileBytes: integerIn(1024, 100 * MIB).default(15 * MIB),
    maxPixels: integerIn(10_000, 200_000_000).default(40_000_000),
    minDimension: integerIn(16, 4096).default(48),
    /** Decoded images are shrunk to this longer side before detection. */
    workingMaxSide: integerIn(256, 8192).default(1280),
    /** Load and warm the models when the appliance starts. */
    warmUpAtStart: flag().default(true),
  },
  { error: mustBe(AN_OBJECT) },
);

const loggingSchema = z.strictObject(
  { level: oneOf(['debug', 'info', 'warn', 'error']).default('info') },
  { error: mustBe(AN_OBJECT) },
);

/** Webhook delivery (server/webhooks): timeouts, back-off, auto-disable, rotation overlap. */
const webhooksSchema = z.strictObject(
  {
    /** One delivery attempt's limit, connection and response included. */
    timeoutMs: integerIn(100, 120_000).default(10_000),
    /** Back-off after a failed attempt: full jitter over min(retryMaxMs, retryBaseMs × 2^(n−1)). */
    retryBaseMs: integerIn(1, 3_600_000).default(1_000),
    retryMaxMs: integerIn(1, 86_400_000).default(3_600_000),
    /** An endpoint is turned off after this many failed attempts in a row. */
    disableAfterFailures: integerIn(1, 100_000).default(20),
    /** Endpoints delivered to at the same time (each one strictly in order). */
    concurrency: integerIn(1, 64).default(4),
    /** How long the previous secret still signs after a rotation. */
    rotationOverlapSeconds: integerIn(0, 30 * 86_400).default(86_400),
    /** Plain http:// to hosts other than loopback (a private network without TLS). */
    allowInsecureHttp: flag().default(false),
    /** How often the queue is looked at when nothing woke the deliverer. */
    pollMs: integerIn(10, 60_000).default(1_000),
  },
  { error: mustBe(AN_OBJECT) },
);

/** Review cases (VER-4): the SLA of a case, from when it opened. */
const casesSchema = z.strictObject(
  { slaHours: integerIn(1, 720).default(4) },
  { error: mustBe(AN_OBJECT) },
);

/**
 * Data-subject requests (PRIV-3): the appliance's jurisdiction (a request may name the subject's),
 * the regime each jurisdiction falls under (its deadline), and the CCPA limit of access requests a
 * year. Reports (PRIV-5): cells under `minCellSize` are suppressed.
 */
const privacyRequestsSchema = z.strictObject(
  {
    jurisdiction: z
      .string()
      .regex(JURISDICTION, { error: mustBe('an ISO 3166 code') })
      .default('DE'),
    regimeByJurisdiction: z
      .record(z.string().regex(JURISDICTION), z.enum(['gdpr', 'ccpa', 'other']), {
        error: mustBe('an object mapping ISO 3166 codes to gdpr, ccpa or other'),
      })
      .default(() => ({ US: 'other' as const, 'US-CA': 'ccpa' as const })),
    defaultRegime: z.enum(['gdpr', 'ccpa', 'other']).default('gdpr'),
    ccpaAccessRequestsPerYear: integerIn(1, 100).default(2),
  },
  { error: mustBe(AN_OBJECT) },
);
const reportsSchema = z.strictObject(
  { minCellSize: integerIn(1, 1000).default(5) },
  { error: mustBe(AN_OBJECT) },
);

export const configSchema = z.strictObject(
  {
    server: serverSchema.prefault({}),
    keys: keysSchema.prefault({}),
    retention: retentionSchema.prefault({}),
    policies: policiesSchema.prefault({}),
    thresholds: thresholdsSchema.prefault({}),
    devices: devicesSchema.prefault({}),
    logging: loggingSchema.prefault({}),
    face: faceSchema.prefault({}),
    webhooks: webhooksSchema.prefault({}),
    cases: casesSchema.prefault({}),
    privacyRequests: privacyRequestsSchema.prefault({}),
    reports: reportsSchema.prefault({}),
  },
  { error: mustBe('a JSON object') },
);

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
