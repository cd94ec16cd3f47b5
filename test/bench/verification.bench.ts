/**
 * Verification benchmark (issue 14): 4 kiosks at once, each running whole identity sessions
 * through the HTTP API of an appliance served on 127.0.0.1 (kiosk token: create, consent, MRZ
 * text with the card photo, a 3-frame selfie burst as multipart, 3 signatures, submit). Prints
 * the decision latency (the submit request: document face, face match, 1:N search, policy and
 * the decision's transaction) p50/p95 against its goal (p95 ≤ 1 s), whole-session time, sessions
 * per minute, the face engine's busy answers (a kiosk retries them, as the kiosk UI does), and
 * the process's peak RSS (the face worker thread included; goal ≤ 800 MB). Baseline in the same
 * run: GET /api/v1/health, idle and under the load, and the ratios. The kiosks' HTTP clients
 * share the server's process, so their own cost is in the figures (small beside the face work).
 * Needs the development faces and SVC2004 signatures; figures only, no assertions.
 * `npm run bench -- verification`.
 */

import { createAppliance, serveAppliance, type Appliance } from '../../server/app.js';
import { registerKiosk } from '../../server/auth/index.js';
import { signatureToJson } from '../../server/biometrics/signature/index.js';
import { computeCheckDigit } from '../../server/documents/index.js';
import { parseConfig } from '../../server/config/index.js';
import { createLogger } from '../../server/log/index.js';
import { Vault, dataDirPaths } from '../../server/vault/index.js';
import { generateFaceDocument } from '../gen/face-documents.js';
import { readSvc2004 } from '../server/biometrics/signature/svc.js';
import { CONSENT } from '../server/privacy/consent-fixtures.js';
import { devFace, hasDevData } from '../support/dev-data.js';
import { formatMs, type BenchContext } from './harness.js';

const KIOSKS = 4;
const SESSIONS_PER_KIOSK = 5;
const PEOPLE = ['amy', 'leonard', 'penny', 'raj'];
const HEALTH_SAMPLES = 40;

const pad = (s: string, n: number) => (s + '<'.repeat(n)).slice(0, n);

/** A TD3 MRZ with real check digits (a made-up holder). */
function mrz(number: string): string {
  const num = pad(number, 9);
  const [birth, expiry, personal] = ['800101', '340101', pad('', 14)];
  const body = `${num}${computeCheckDigit(num)}FRA${birth}${computeCheckDigit(birth)}F${expiry}${computeCheckDigit(expiry)}${personal}${computeCheckDigit(personal)}`;
  const composite = body.slice(0, 10) + body.slice(13, 20) + body.slice(21, 43);
  return `${pad('P<FRABENCH<<KIOSK', 44)}\n${body}${computeCheckDigit(composite)}`;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function openAppliance(dir: string): Promise<Appliance> {
  const keyFile = dataDirPaths(dir).defaultKeyFile;
  (await Vault.init(dir, { unattendedKeyFile: keyFile })).close();
  const parsed = parseConfig({ server: { rateLimit: { enabled: false } } });
  if (!parsed.ok) throw new Error('bad bench config');
  return createAppliance({
    dataDir: dir,
    keySource: { kind: 'key-file', path: keyFile },
    config: parsed.config,
    logger: createLogger({ level: 'error', write: () => undefined }),
  });
}

export async function runVerificationBenchmarks(ctx: BenchContext): Promise<void> {
  if (!hasDevData('faces') || !hasDevData('svc2004')) {
    ctx.note('verification: skipped (needs the development faces and SVC2004 signatures)');
    return;
  }
  const appliance = await openAppliance(ctx.tempDir('verification'));
  const server = await serveAppliance(appliance, { host: '127.0.0.1', port: 0 });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  try {
    await appliance.face.warmUp();
    await appliance.faceSearch.ready;
    const base = `${server.url}/api/v1`;
    const health = async (): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${base}/health`);
      await response.arrayBuffer();
      return performance.now() - started;
    };
    for (let i = 0; i < 5; i++) await health(); // connection and JIT warm-up
    const idleHealth: number[] = [];
    for (let i = 0; i < HEALTH_SAMPLES; i++) idleHealth.push(await health());

    const cards = new Map<string, string>();
    for (const person of PEOPLE) {
      cards.set(
        person,
        (await generateFaceDocument(devFace(person, 1), 7)).jpeg.toString('base64'),
      );
    }
    const signatures = [1, 2, 3].map((n) => signatureToJson(readSvc2004(2, 5, n)));

    let busy = 0;
    /** One request; a 503 (face engine busy) is retried after a short pause, as a kiosk does. */
    async function call(
      token: string,
      method: string,
      path: string,
      body?: unknown,
    ): Promise<Record<string, unknown>> {
      for (;;) {
        const headers: Record<string, string> = { authorization: `Bearer ${token}` };
        let payload: string | FormData | undefined;
        if (body instanceof FormData) payload = body;
        else if (body !== undefined) {
          headers['content-type'] = 'application/json';
          payload = JSON.stringify(body);
        }
        const response = await fetch(`${base}${path}`, { method, headers, body: payload });
        const text = await response.text();
        if (response.status === 503) {
          busy += 1;
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
        return JSON.parse(text) as Record<string, unknown>;
      }
    }

    const decisions: number[] = [];
    const sessions: number[] = [];
    const outcomes = new Map<string, number>();
    async function kiosk(k: number): Promise<void> {
      const { token } = registerKiosk(appliance.vault, `Bench ${k}`, 'bench', 'Bench branch');
      const person = PEOPLE[k % PEOPLE.length]!;
      for (let s = 0; s < SESSIONS_PER_KIOSK; s++) {
        const started = performance.now();
        const { id } = (await call(token, 'POST', '/verifications', { kind: 'identity' })) as {
          id: string;
        };
        // The written release: the current texts shown and the signature on the pad.
        await call(token, 'POST', `/verifications/${id}/consent`, CONSENT);
        await call(token, 'POST', `/verifications/${id}/document`, {
          mrz: mrz(`B${k}${String(s).padStart(7, '0')}`),
          image: cards.get(person),
        });
        // The core draws the challenge; the burst names it (its times follow the plan).
        const challenge = (await call(
          token,
          'POST',
          `/verifications/${id}/liveness-challenge`,
        )) as {
          id: string;
          plan: { duration: number };
        };
        const form = new FormData();
        for (const [i, n] of [2, 3, 4].entries()) {
          form.append('frame', new Blob([devFace(person, n)], { type: 'image/png' }), `${n}.png`);
          form.append('t', String(Math.round((challenge.plan.duration * i) / 2)));
        }
        form.append('challengeId', challenge.id);
        await call(token, 'POST', `/verifications/${id}/selfie`, form);
        await call(token, 'POST', `/verifications/${id}/signature`, { signatures });
        const submitted = performance.now();
        const decided = await call(token, 'POST', `/verifications/${id}/submit`);
        const done = performance.now();
        decisions.push(done - submitted);
        sessions.push(done - started);
        const decision = String(decided.decision);
        outcomes.set(decision, (outcomes.get(decision) ?? 0) + 1);
      }
    }

    const loadedHealth: number[] = [];
    let running = true;
    const prober = (async () => {
      while (running) {
        loadedHealth.push(await health());
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const started = performance.now();
    await Promise.all(Array.from({ length: KIOSKS }, (_, k) => kiosk(k)));
    const wallMs = performance.now() - started;
    running = false;
    await prober;

    const idle50 = percentile(idleHealth, 50);
    const row = (name: string, values: number[], goal: string): string[] => [
      name,
      formatMs(percentile(values, 50)),
      formatMs(percentile(values, 95)),
      `${(percentile(values, 50) / idle50).toFixed(0)}x`,
      goal,
    ];
    ctx.table(
      `verification: ${KIOSKS} kiosks × ${SESSIONS_PER_KIOSK} identity sessions through the HTTP API`,
      {
        headers: ['measure', 'p50', 'p95', 'p50 / idle health', 'goal'],
        rows: [
          row('GET /health, idle (baseline)', idleHealth, ''),
          row('GET /health, under the load', loadedHealth, ''),
          row('decision (submit request)', decisions, 'p95 ≤ 1 s'),
          row('whole session', sessions, ''),
        ],
      },
    );
    const perMinute = (decisions.length / wallMs) * 60_000;
    ctx.note(
      `${decisions.length} sessions in ${formatMs(wallMs)}: ${perMinute.toFixed(1)} sessions/min; face engine busy answers retried: ${busy}`,
    );
    ctx.note(
      `decisions: ${[...outcomes].map(([d, n]) => `${d} ${n}`).join(', ')} (development stills never pass liveness)`,
    );
    ctx.note(
      `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB (goal ≤ 800 MB, face worker included); p95 decision ${percentile(decisions, 95) <= 1000 ? 'meets' : 'misses'} its goal`,
    );
  } finally {
    clearInterval(sampler);
    await server.close();
    await appliance.close();
  }
}
