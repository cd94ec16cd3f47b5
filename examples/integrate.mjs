#!/usr/bin/env node
// A branch system's integration with verikiosk, end to end, in plain Node (20+, no packages):
//
//   1. (with an admin key) register a webhook endpoint pointing at a receiver this script runs;
//   2. (with an integrator key: verifications:write, captures:write, verifications:read) create
//      an identity verification, record the consent, send the document (MRZ text and its photo),
//      the selfie burst (multipart frames), the signatures, and submit;
//   3. print the decision, then wait for the signed `verification.decided` webhook, check its
//      signature and print it.
//
//   node examples/integrate.mjs --url http://127.0.0.1:8080 --key vk_… --admin-key vk_… \
//     --mrz mrz.txt --document card.jpg --selfie f1.png --selfie f2.png --selfie f3.png \
//     --signatures signatures.json
//
// Exit code 0 when a decision was read (and, with --admin-key, its webhook received and its
// signature valid), 1 otherwise. Nothing here prints personal data: ids, states and codes only.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.VERIKIOSK_URL ?? 'http://127.0.0.1:8080' },
    key: { type: 'string', default: process.env.VERIKIOSK_API_KEY },
    'admin-key': { type: 'string', default: process.env.VERIKIOSK_ADMIN_KEY },
    mrz: { type: 'string' },
    document: { type: 'string' },
    selfie: { type: 'string', multiple: true, default: [] },
    signatures: { type: 'string' },
    reference: { type: 'string', default: 'BRANCH-CASE-0001' },
    'webhook-timeout': { type: 'string', default: '30' },
  },
});

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

if (!args.key) fail('--key (or VERIKIOSK_API_KEY) is required');
for (const name of ['mrz', 'document', 'signatures']) {
  if (!args[name]) fail(`--${name} is required`);
}
if (args.selfie.length === 0) fail('at least one --selfie frame is required');

const base = `${args.url.replace(/\/$/, '')}/api/v1`;

/** One API call; a problem+json answer is printed by its code and ends the script. */
async function api(method, path, { key = args.key, json, form } = {}) {
  const headers = { authorization: `Bearer ${key}` };
  let body;
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form; // fetch sets multipart/form-data with its boundary
  }
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  if (!response.ok) {
    let problem = {};
    try {
      problem = JSON.parse(text);
    } catch {
      // not JSON
    }
    fail(`${method} ${path}: ${response.status} ${problem.type ?? ''} ${problem.rule ?? ''}`);
  }
  return text === '' ? null : JSON.parse(text);
}

/** The webhook signature check (`Verikiosk-Signature: t=…,v1=…`), as the docs give it. */
function verifySignature(header, rawBody, secret, toleranceSeconds = 300) {
  if (typeof header !== 'string') return false;
  let t = null;
  const candidates = [];
  for (const part of header.split(',')) {
    const [k, v] = part.split('=', 2);
    if (k === 't' && /^\d{1,12}$/.test(v ?? '')) t = Number(v);
    if (k === 'v1' && /^[0-9a-f]{64}$/.test(v ?? '')) candidates.push(Buffer.from(v, 'hex'));
  }
  if (t === null || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  return candidates.some((c) => timingSafeEqual(c, expected));
}

/** A local receiver for the webhook: resolves with the first verification.decided of `id`. */
function startReceiver() {
  const waiting = new Map();
  const early = new Map();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      res.writeHead(204).end(); // acknowledge at once; work after
      try {
        const event = JSON.parse(raw.toString('utf8'));
        const delivery = { event, raw, signature: req.headers['verikiosk-signature'] };
        const id = event.data?.verificationId;
        if (event.type !== 'verification.decided' || !id) return;
        const resolve = waiting.get(id);
        if (resolve) resolve(delivery);
        else early.set(id, delivery);
      } catch {
        // not an event: ignored
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/verikiosk`,
        decided: (id, seconds) =>
          new Promise((done, reject) => {
            if (early.has(id)) return done(early.get(id));
            const timer = setTimeout(() => reject(new Error('no webhook in time')), seconds * 1000);
            waiting.set(id, (delivery) => {
              clearTimeout(timer);
              done(delivery);
            });
          }),
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

const receiver = args['admin-key'] ? await startReceiver() : null;
let endpoint = null;
if (receiver) {
  endpoint = await api('POST', '/webhooks', {
    key: args['admin-key'],
    json: { url: receiver.url, events: ['verification.decided'], description: 'example' },
  });
  console.log(`webhook endpoint ${endpoint.webhook.id} -> ${receiver.url}`);
}

try {
  // 1. The session.
  const session = await api('POST', '/verifications', {
    json: { kind: 'identity', reference: args.reference },
  });
  const id = session.id;
  console.log(`verification ${id} ${session.status} next=${session.nextStep}`);

  // 2. The written consent: the current texts the customer was shown (GET /consent-texts is
  //    public: the kiosk shows them before any capture) and their signature on the pad. Without
  //    data_sharing in force, the decision is not sent to the branch system's webhooks.
  const signatures = JSON.parse(readFileSync(args.signatures, 'utf8'));
  const { data: texts } = await api('GET', '/consent-texts?language=en');
  const shown = texts
    .filter((t) => t.purpose === 'biometric_processing' || t.purpose === 'data_sharing')
    .map(({ purpose, version }) => ({ purpose, version }));
  await api('POST', `/verifications/${id}/consent`, {
    json: { language: 'en', texts: shown, signature: signatures[0] },
  });

  // 3. The document: the MRZ as read (taken as given, never corrected) and its photo.
  let step = await api('POST', `/verifications/${id}/document`, {
    json: {
      mrz: readFileSync(args.mrz, 'utf8').trim(),
      image: readFileSync(args.document).toString('base64'),
    },
  });
  console.log(`document ${step.document?.documentNumberMasked ?? '?'} next=${step.nextStep}`);

  // 4. The liveness challenge: the appliance draws the plan (which actions, when) and keeps it;
  //    the front end shows the prompts and takes the frames at those times. Then the selfie
  //    burst as multipart/form-data: the frames, their times, and the challenge's id (one use,
  //    valid for a couple of minutes). The burst is judged against the plan the appliance kept.
  const challenge = await api('POST', `/verifications/${id}/liveness-challenge`);
  const { plan } = challenge;
  console.log(
    `challenge ${challenge.id} ${plan.steps.map((s) => s.action).join(',')} in ${plan.duration} ms`,
  );
  const form = new FormData();
  args.selfie.forEach((path, i) => {
    const type = path.toLowerCase().endsWith('.png') ? 'image/png' : 'image/jpeg';
    form.append('frame', new Blob([readFileSync(path)], { type }), basename(path));
    const last = Math.max(1, args.selfie.length - 1);
    form.append('t', String(Math.round((plan.duration * i) / last)));
  });
  form.append('challengeId', challenge.id);
  step = await api('POST', `/verifications/${id}/selfie`, { form });
  console.log(`selfie next=${step.nextStep}`);

  // 5. The signatures (3-5 verikiosk-signature JSON documents to enrol).
  step = await api('POST', `/verifications/${id}/signature`, { json: { signatures } });
  console.log(`signature next=${step.nextStep}`);

  // 6. Submit: the checks run and the policy decides.
  const decided = await api('POST', `/verifications/${id}/submit`);
  console.log(
    `decision ${decided.decision} risk=${decided.riskScore} policy=${decided.policyVersion} reasons=${decided.reasons.join(',') || '-'}`,
  );
  for (const check of decided.checks) {
    console.log(`  check ${check.check} ${check.outcome} ${check.reasonCode ?? ''}`.trimEnd());
  }

  // 7. The webhook, signed with the endpoint's secret.
  if (receiver) {
    const delivery = await receiver.decided(id, Number(args['webhook-timeout']));
    const valid = verifySignature(delivery.signature, delivery.raw, endpoint.secret);
    console.log(
      `webhook ${delivery.event.type} ${delivery.event.data.decision} signature=${valid ? 'valid' : 'INVALID'}`,
    );
    if (!valid) process.exitCode = 1;
  }
} finally {
  if (endpoint) await api('DELETE', `/webhooks/${endpoint.webhook.id}`, { key: args['admin-key'] });
  await receiver?.close();
}
