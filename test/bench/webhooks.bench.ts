/**
 * Webhook delivery benchmarks (`npm run bench -- webhooks`): events per second delivered to a
 * receiver on 127.0.0.1 (signed, strictly in order, one endpoint), and a backlog of 100,000
 * events drained after a receiver outage with RSS and heap sampled (start, peak, end: the queue is
 * read a page at a time, so memory should stay flat). The receiver runs in this process, so it
 * shares the CPU with the deliverer. Figures only, no assertions.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

import { parseConfig } from '../../server/config/index.js';
import { EventFeed, emitEvent } from '../../server/events/index.js';
import { Vault, loadSodium } from '../../server/vault/index.js';
import { WebhookDeliverer, WebhookService } from '../../server/webhooks/index.js';
import { formatCount, formatMs, formatRate, perSecond, type BenchContext } from './harness.js';
import { vaultDb } from '../../server/vault/internal.js';

const STEADY = 10_000;
const BACKLOG = 100_000;
const MIB = 1024 * 1024;
const OUTAGE_FAILURES = 5;

/** A full collection, so heap figures compare live data rather than garbage not yet collected. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

function settings() {
  const parsed = parseConfig({
    webhooks: { retryBaseMs: 20, retryMaxMs: 200, pollMs: 50, disableAfterFailures: 100_000 },
  });
  if (!parsed.ok) throw new Error('bad bench config');
  return parsed.config.webhooks;
}

export async function runWebhookBenchmarks(ctx: BenchContext): Promise<void> {
  await loadSodium();
  const dir = ctx.tempDir('webhooks');
  const vault = await Vault.init(dir, { unattendedKeyFile: path.join(dir, 'master.key') });
  let answer = 200;
  let requests = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests += 1;
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  let delivered = 0;
  let failed = 0;
  let onFailure: (() => void) | null = null;
  let waiter: { target: number; resolve: () => void } | null = null;
  const service = new WebhookService(vault, settings(), () => deliverer.wake());
  const deliverer = new WebhookDeliverer(vault, service, {
    settings: settings(),
    onAttempt: (_endpoint, ok) => {
      if (!ok) {
        failed += 1;
        onFailure?.();
        return;
      }
      delivered += 1;
      if (waiter && delivered >= waiter.target) {
        waiter.resolve();
        waiter = null;
      }
    },
  });
  const until = (target: number) =>
    new Promise<void>((resolve) => {
      if (delivered >= target) resolve();
      else waiter = { target, resolve };
    });
  const feed = new EventFeed(vaultDb(vault));
  feed.subscribe(deliverer.subscriber());
  feed.start();
  deliverer.start();
  service.create({ url, events: ['*'] }, 'bench');

  const emit = (n: number, tag: string) =>
    vault.transaction(() => {
      for (let i = 0; i < n; i++)
        emitEvent(vaultDb(vault), {
          type: 'template.deleted',
          payload: {
            templateId: `tpl_${tag}${String(i).padStart(24, '0')}`,
            subjectId: `sub_${tag}${String(i).padStart(24, '0')}`,
            modality: 'face',
          },
        });
    });

  try {
    const rows: string[][] = [];
    const steadyStart = performance.now();
    emit(STEADY, 's');
    await until(STEADY);
    const steadyMs = performance.now() - steadyStart;
    rows.push([
      'emit → delivered (signed, in order, one endpoint)',
      formatCount(STEADY),
      formatMs(steadyMs),
      formatRate(perSecond(STEADY, steadyMs)),
    ]);

    // outage: the receiver answers 503; the backlog piles up in the queue
    answer = 503;
    const fanStart = performance.now();
    emit(BACKLOG, 'b');
    await feed.drain();
    const fanMs = performance.now() - fanStart;
    rows.push([
      'emit + fan out into the queue (receiver down)',
      formatCount(BACKLOG),
      formatMs(fanMs),
      formatRate(perSecond(BACKLOG, fanMs)),
    ]);
    // let the outage be seen: a few attempts fail and back off before the receiver recovers
    await new Promise<void>((resolve) => {
      onFailure = () => {
        if (failed >= OUTAGE_FAILURES) resolve();
      };
    });
    onFailure = null;

    const samples: { rss: number; heap: number }[] = [];
    const sample = () => {
      const m = process.memoryUsage();
      samples.push({ rss: m.rss, heap: m.heapUsed });
    };
    collectGarbage();
    const liveBefore = process.memoryUsage().heapUsed;
    sample();
    const sampler = setInterval(sample, 100);
    answer = 200;
    const drainStart = performance.now();
    await until(STEADY + BACKLOG);
    const drainMs = performance.now() - drainStart;
    clearInterval(sampler);
    sample();
    collectGarbage();
    const liveAfter = process.memoryUsage().heapUsed;
    rows.push([
      'backlog drained after the outage',
      formatCount(BACKLOG),
      formatMs(drainMs),
      formatRate(perSecond(BACKLOG, drainMs)),
    ]);
    ctx.table('Webhook delivery to a receiver on 127.0.0.1', {
      headers: ['operation', 'events', 'time', 'rate /s'],
      rows,
    });
    const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;
    const peak = (k: 'rss' | 'heap') => Math.max(...samples.map((s) => s[k]));
    ctx.table('Memory while draining the backlog (sampled every 100 ms)', {
      headers: ['', 'start', 'peak', 'end'],
      rows: [
        ['RSS', mib(samples[0]!.rss), mib(peak('rss')), mib(samples.at(-1)!.rss)],
        ['heap used', mib(samples[0]!.heap), mib(peak('heap')), mib(samples.at(-1)!.heap)],
        ['heap after a full GC', mib(liveBefore), '', mib(liveAfter)],
      ],
    });
    ctx.note(
      `${formatCount(failed)} failed attempts during the outage (strict order: only the head is retried); ${formatCount(requests)} requests in all.`,
    );
  } finally {
    await feed.stop();
    await deliverer.stop();
    receiver.closeAllConnections();
    receiver.close();
    vault.close();
  }
}
