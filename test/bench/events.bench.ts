/**
 * Event feed benchmarks: events appended per second inside one transaction (the cost a
 * destruction or a retention run pays per event), one event per committed transaction (fsync
 * bound), the feed's read throughput to a subscriber, and the cost of an idle poll
 * (`PRAGMA data_version`). Figures only, no assertions. `npm run bench -- events`.
 */
import * as path from 'node:path';

import { EventFeed, emitEvent } from '../../server/events/index.js';
import { Vault, loadSodium } from '../../server/vault/index.js';
import {
  formatCount,
  formatMs,
  formatRate,
  perSecond,
  timed,
  timedAsync,
  type BenchContext,
} from './harness.js';
import { vaultDb } from '../../server/vault/internal.js';

const IN_ONE_TRANSACTION = 100_000;
const COMMITTED_ONE_BY_ONE = 500;
const POLLS = 100_000;

export async function runEventBenchmarks(ctx: BenchContext): Promise<void> {
  await loadSodium();
  const dir = ctx.tempDir('events');
  const vault = await Vault.init(dir, { unattendedKeyFile: path.join(dir, 'master.key') });
  try {
    const rows: string[][] = [];
    const templateDeleted = (i: number) =>
      ({
        type: 'template.deleted',
        payload: {
          templateId: `tpl_${String(i).padStart(26, '0')}`,
          subjectId: `sub_${String(i).padStart(26, '0')}`,
          modality: 'face',
        },
      }) as const;

    const batch = timed(() =>
      vault.transaction(() => {
        for (let i = 0; i < IN_ONE_TRANSACTION; i++) emitEvent(vaultDb(vault), templateDeleted(i));
      }),
    );
    rows.push([
      'emit template.deleted, one transaction',
      formatCount(IN_ONE_TRANSACTION),
      formatMs(batch.ms),
      formatRate(perSecond(IN_ONE_TRANSACTION, batch.ms)),
    ]);

    const ids = Array.from({ length: 1000 }, (_, i) => `sub_${String(i).padStart(26, '0')}`);
    const big = timed(() =>
      vault.transaction(() => {
        for (let i = 0; i < 100; i++)
          emitEvent(vaultDb(vault), {
            type: 'subject.destroyed',
            payload: { subjectIds: ids, reason: 'retention:records.inactivity' },
          });
      }),
    );
    rows.push([
      'emit subject.destroyed (1000 ids each), one transaction',
      formatCount(100),
      formatMs(big.ms),
      formatRate(perSecond(100, big.ms)),
    ]);

    const single = timed(() => {
      for (let i = 0; i < COMMITTED_ONE_BY_ONE; i++)
        vault.transaction(() => emitEvent(vaultDb(vault), templateDeleted(i)));
    });
    rows.push([
      'emit, one committed transaction each (fsync)',
      formatCount(COMMITTED_ONE_BY_ONE),
      formatMs(single.ms),
      formatRate(perSecond(COMMITTED_ONE_BY_ONE, single.ms)),
    ]);

    const total = IN_ONE_TRANSACTION + 100 + COMMITTED_ONE_BY_ONE;
    let delivered = 0;
    const feed = new EventFeed(vaultDb(vault));
    feed.subscribe({ name: 'bench', handle: () => void (delivered += 1) });
    const read = await timedAsync(() => feed.drain());
    await feed.stop();
    rows.push([
      'feed: read and deliver to one subscriber (cursor saved per 500)',
      formatCount(delivered),
      formatMs(read.ms),
      formatRate(perSecond(delivered, read.ms)),
    ]);

    const poll = timed(() => {
      for (let i = 0; i < POLLS; i++) vaultDb(vault).pragma('data_version', { simple: true });
    });
    rows.push([
      'idle poll: PRAGMA data_version',
      formatCount(POLLS),
      formatMs(poll.ms),
      formatRate(perSecond(POLLS, poll.ms)),
    ]);

    ctx.table('Event feed: append and read throughput', {
      headers: ['operation', 'events', 'time', 'rate /s'],
      rows,
    });
    ctx.note(`${formatCount(total)} events written in all; the appliance polls once a second.`);
  } finally {
    vault.close();
  }
}
