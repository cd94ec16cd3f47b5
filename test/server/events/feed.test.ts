import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  EMITTED_EVENT_TYPES,
  EVENT_TYPES,
  EventError,
  EventFeed,
  RESERVED_EVENT_TYPES,
  SUBJECTS_PER_EVENT,
  emitEvent,
  lastEventId,
  pruneEvents,
  readEventCursor,
  readEvents,
  type DomainEvent,
  type StoredEvent,
} from '../../../server/events/index.js';
import { backupVault, restoreVault } from '../../../server/vault/index.js';
import { SEEDED, cleanup, newVault, reopen, tempDir } from '../vault/helpers.js';
import { vaultDb } from '../../../server/vault/internal.js';

/**
 * The event feed on real SQLite files: the catalogue and its no-personal-data rule, the outbox
 * written in the writing transaction, delivery from persisted cursors (in order, at-least-once,
 * retried), the poll that finds other connections' commits, pruning, and restore.
 */

const feeds: EventFeed[] = [];
afterEach(async () => {
  for (const feed of feeds.splice(0)) await feed.stop();
  cleanup();
});

function track(feed: EventFeed): EventFeed {
  feeds.push(feed);
  return feed;
}

const destroyed = (ids: string[], reason = 'test'): DomainEvent => ({
  type: 'subject.destroyed',
  payload: { subjectIds: ids, reason },
});

function eventCount(db: Parameters<typeof readEvents>[0]): number {
  return readEvents(db, 0, 1_000_000).length;
}

describe('the catalogue', () => {
  it('declares the emitted events and reserves the later families, without overlap', () => {
    expect(EMITTED_EVENT_TYPES).toEqual(
      expect.arrayContaining([
        'subject.destroyed',
        'template.deleted',
        'retention.run',
        'vault.restored',
        'device.connected',
        'device.disconnected',
        'device.error',
        'verification.created',
        'verification.submitted',
        'verification.decided',
        'case.opened',
        'case.decided',
        'consent.granted',
        'consent.withdrawn',
        'privacy_request.completed',
      ]),
    );
    for (const family of ['privacy_request.'])
      expect(
        RESERVED_EVENT_TYPES.some((t) => t.startsWith(family)),
        family,
      ).toBe(true);
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
    for (const type of EVENT_TYPES) expect(type).toMatch(/^[a-z_]+\.[a-z_]+$/);
  });

  it('refuses a reserved event (not emitted yet), writing nothing', async () => {
    const { vault } = await newVault();
    const before = eventCount(vaultDb(vault));
    const error = (() => {
      try {
        emitEvent(vaultDb(vault), {
          type: 'privacy_request.received',
          payload: {},
        } as unknown as DomainEvent);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(EventError);
    expect((error as EventError).reason).toBe('unknown_type');
    expect(eventCount(vaultDb(vault))).toBe(before);
  });

  it('refuses free text in a payload like the audit log does, never echoing it, writing nothing', async () => {
    const { vault } = await newVault();
    const before = eventCount(vaultDb(vault));
    const attempts: unknown[] = [
      { subjectIds: ['sub_a'], reason: `${SEEDED.surname} asked for it` },
      { subjectIds: [SEEDED.givenNames], reason: 'deletion_request' },
      { subjectIds: ['sub_a'], reason: 'x'.repeat(81) },
      { subjectIds: ['sub_a'], reason: { name: SEEDED.surname } },
      { subjectIds: [{ nested: { deeper: SEEDED.surname } }], reason: 'test' },
      { 'a key with spaces': 1, reason: 'test' },
      { subjectIds: ['sub_a'], reason: 'line\nbreak' },
    ];
    for (const payload of attempts) {
      let error: unknown = null;
      try {
        emitEvent(vaultDb(vault), { type: 'subject.destroyed', payload } as DomainEvent);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(payload)).toBeInstanceOf(EventError);
      expect((error as EventError).reason).toBe('invalid_payload');
      expect((error as Error).message).not.toContain(SEEDED.surname);
      expect((error as Error).message).not.toContain('ZZTESTGIVEN');
    }
    expect(eventCount(vaultDb(vault))).toBe(before);
    // codes, ids, numbers, dates and flat records of them pass
    emitEvent(vaultDb(vault), {
      type: 'retention.run',
      payload: {
        runId: 'ret_abc',
        trigger: 'manual',
        asOf: '2026-01-01T00:00:00.000Z',
        total: 3,
        counts: [{ ruleId: 'records.inactivity', category: 'extracted_data', count: 3 }],
      },
    });
    expect(eventCount(vaultDb(vault))).toBe(before + 1);
  });

  it('a destruction with a free-text reason is refused whole: the subject stays, no event', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    const before = eventCount(vaultDb(vault));
    expect(() =>
      vault.destroySubject(subjectId, { actor: 'system', reason: `${SEEDED.surname} asked` }),
    ).toThrow();
    expect(vaultDb(vault).prepare('SELECT COUNT(*) FROM subjects').pluck().get()).toBe(1);
    expect(eventCount(vaultDb(vault))).toBe(before);
  });
});

describe('the outbox', () => {
  it('is written in the transaction of the change: a rollback leaves no event', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    const head = lastEventId(vaultDb(vault));
    expect(() =>
      vault.transaction(() => {
        vault.destroySubject(subjectId, { actor: 'system', reason: 'test' });
        expect(readEvents(vaultDb(vault), head)).toHaveLength(1);
        throw new Error('abort');
      }),
    ).toThrow('abort');
    expect(readEvents(vaultDb(vault), head)).toEqual([]);
    expect(vaultDb(vault).prepare('SELECT COUNT(*) FROM subjects').pluck().get()).toBe(1);
    vault.destroySubject(subjectId, { actor: 'system', reason: 'test' });
    const [event] = readEvents(vaultDb(vault), head);
    expect(event).toMatchObject({
      type: 'subject.destroyed',
      payload: { subjectIds: [subjectId], reason: 'test' },
    });
    expect(event!.id).toBeGreaterThan(head);
  });

  it('names only the subjects actually destroyed (not held, not missing), in events of at most SUBJECTS_PER_EVENT ids', async () => {
    const { vault } = await newVault();
    const ids = vault.transaction(() =>
      Array.from({ length: SUBJECTS_PER_EVENT + 5 }, () => vault.createSubject()),
    );
    vault.placeLegalHold(ids[0]!, 'litigation', 'user:usr_test');
    const head = lastEventId(vaultDb(vault));
    const outcome = vault.destroySubjects([...ids, 'sub_missing'], {
      actor: 'system',
      reason: 'test',
    });
    expect(outcome.destroyed).toBe(ids.length - 1);
    const events = readEvents(vaultDb(vault), head);
    expect(events.map((e) => e.type)).toEqual(['subject.destroyed', 'subject.destroyed']);
    const named = events.flatMap((e) =>
      e.type === 'subject.destroyed' ? e.payload.subjectIds : [],
    );
    expect(named.sort()).toEqual(ids.slice(1).sort());
    // nothing destroyed, nothing emitted
    vault.destroySubjects(['sub_missing', ids[0]!], { actor: 'system', reason: 'test' });
    expect(readEvents(vaultDb(vault), events.at(-1)!.id)).toEqual([]);
  });
});

describe('EventFeed', () => {
  it('delivers in id order from each subscriber’s own cursor and persists the cursor', async () => {
    const { vault, dir, source } = await newVault();
    const feed = track(new EventFeed(vaultDb(vault)));
    const seen: number[] = [];
    feed.subscribe({ name: 'probe', handle: (e) => void seen.push(e.id) });
    const ids = [1, 2, 3].map((i) => emitEvent(vaultDb(vault), destroyed([`sub_${i}`])));
    await feed.drain();
    expect(seen).toEqual(ids);
    expect(readEventCursor(vaultDb(vault), 'probe')).toBe(ids[2]);
    await feed.stop();
    vault.close();

    // a restart resumes after the cursor: nothing delivered twice, the new one delivered
    const again = await reopen(dir, source);
    const next = emitEvent(vaultDb(again), destroyed(['sub_4']));
    const resumed: number[] = [];
    const feed2 = track(new EventFeed(vaultDb(again)));
    feed2.subscribe({ name: 'probe', handle: (e) => void resumed.push(e.id) });
    await feed2.drain();
    expect(resumed).toEqual([next]);
  });

  it("starts a new subscriber at the oldest kept event, or at the newest with start: 'latest'", async () => {
    const { vault } = await newVault();
    const first = emitEvent(vaultDb(vault), destroyed(['sub_1']));
    const feed = track(new EventFeed(vaultDb(vault)));
    const oldest: number[] = [];
    const latest: number[] = [];
    feed.subscribe({ name: 'oldest', handle: (e) => void oldest.push(e.id) });
    feed.subscribe({ name: 'latest', start: 'latest', handle: (e) => void latest.push(e.id) });
    const second = emitEvent(vaultDb(vault), destroyed(['sub_2']));
    await feed.drain();
    expect(oldest).toEqual([first, second]);
    expect(latest).toEqual([second]);
    expect(() => feed.subscribe({ name: 'oldest', handle: () => undefined })).toThrow(EventError);
    expect(() => feed.subscribe({ name: 'Not A Name', handle: () => undefined })).toThrow(
      EventError,
    );
  });

  it('retries a subscriber that throws, without advancing its cursor or skipping ahead; others go on', async () => {
    const { vault } = await newVault();
    const failures: { subscriber: string | null; eventId: number | null; attempt: number }[] = [];
    const feed = track(
      new EventFeed(vaultDb(vault), {
        retryMs: 5,
        onError: (f) =>
          failures.push({ subscriber: f.subscriber, eventId: f.eventId, attempt: f.attempt }),
      }),
    );
    const a = emitEvent(vaultDb(vault), destroyed(['sub_a']));
    const b = emitEvent(vaultDb(vault), destroyed(['sub_b']));
    const c = emitEvent(vaultDb(vault), destroyed(['sub_c']));
    const calls: number[] = [];
    let failuresLeft = 2;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    feed.subscribe({
      name: 'flaky',
      handle: (e) => {
        calls.push(e.id);
        if (e.id === b && failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('receiver down');
        }
        if (e.id === c) done();
      },
    });
    const steady: number[] = [];
    feed.subscribe({ name: 'steady', handle: (e) => void steady.push(e.id) });

    await feed.drain();
    // a delivered, b failed: the cursor stays at a, c was not handed over
    expect(calls).toEqual([a, b]);
    expect(readEventCursor(vaultDb(vault), 'flaky')).toBe(a);
    expect(steady).toEqual([a, b, c]);
    expect(readEventCursor(vaultDb(vault), 'steady')).toBe(c);
    expect(failures[0]).toEqual({ subscriber: 'flaky', eventId: b, attempt: 1 });

    // the retry timer delivers b again (failing once more), then b and c
    await finished;
    expect(calls).toEqual([a, b, b, b, c]);
    expect(failures.map((f) => f.attempt)).toEqual([1, 2]);
    await feed.drain();
    expect(readEventCursor(vaultDb(vault), 'flaky')).toBe(c);
  });

  it('is woken right after an emit on its own connection (no poll needed)', async () => {
    const { vault } = await newVault();
    const feed = track(new EventFeed(vaultDb(vault), { pollMs: 3_600_000 }));
    const subjectId = vault.createSubject();
    let got!: (e: StoredEvent) => void;
    const delivered = new Promise<StoredEvent>((resolve) => (got = resolve));
    feed.subscribe({ name: 'probe', start: 'latest', handle: (e) => got(e) });
    feed.start();
    vault.destroySubject(subjectId, { actor: 'system', reason: 'test' });
    const event = await delivered;
    expect(event).toMatchObject({
      type: 'subject.destroyed',
      payload: { subjectIds: [subjectId] },
    });
  });

  it("finds another connection's commits by polling data_version", async () => {
    const { vault, dir, source } = await newVault();
    const other = await reopen(dir, source);
    const subjectId = other.createSubject();
    const feed = track(new EventFeed(vaultDb(vault), { pollMs: 20 }));
    const seen: StoredEvent[] = [];
    feed.subscribe({ name: 'probe', start: 'latest', handle: (e) => void seen.push(e) });
    feed.start();
    other.destroySubject(subjectId, { actor: 'system', reason: 'test' });
    await vi.waitFor(() => expect(seen).toHaveLength(1), { timeout: 10_000, interval: 20 });
    expect(seen[0]).toMatchObject({ payload: { subjectIds: [subjectId] } });
  });

  it('prunes events every subscriber has received once they are older than the keep period', async () => {
    let now = new Date('2026-01-01T00:00:00.000Z');
    const { vault } = await newVault();
    const emitAt = (id: string): number => emitEvent(vaultDb(vault), destroyed([id]), now);
    const old1 = emitAt('sub_1');
    const old2 = emitAt('sub_2');
    const feed = track(new EventFeed(vaultDb(vault), { clock: () => now }));
    const seen: number[] = [];
    let stopAt = old1;
    feed.subscribe({ name: 'fast', handle: () => undefined });
    feed.subscribe({
      name: 'slow',
      handle: (e) => {
        if (e.id > stopAt) throw new Error('not yet');
        seen.push(e.id);
      },
    });
    await feed.drain();
    now = new Date('2026-03-01T00:00:00.000Z');
    const recent = emitAt('sub_3');
    // old2 is old but 'slow' has not received it: kept
    expect(pruneEvents(vaultDb(vault), now, 30)).toBe(1);
    expect(readEvents(vaultDb(vault), 0).map((e) => e.id)).toEqual([old2, recent]);
    expect(seen).toEqual([old1]);
    stopAt = recent;
    await feed.stop();
    const feed2 = track(new EventFeed(vaultDb(vault), { clock: () => now }));
    feed2.subscribe({ name: 'fast', handle: () => undefined });
    feed2.subscribe({ name: 'slow', handle: (e) => void seen.push(e.id) });
    await feed2.drain();
    // delivered everywhere now; the recent one stays for its 30 days
    expect(pruneEvents(vaultDb(vault), now, 30)).toBe(1);
    expect(readEvents(vaultDb(vault), 0).map((e) => e.id)).toEqual([recent]);
    // ids never go back after a prune
    expect(emitAt('sub_4')).toBeGreaterThan(recent);
  });
});

describe('restore', { timeout: 30_000 }, () => {
  it('writes vault.restored into the restored copy, its ids continuing after the live ones, cursors carried', async () => {
    const t = await newVault();
    const victim = t.vault.createSubject();
    const file = path.join(tempDir(), 'backup.db');
    await backupVault(t.vault, file, 'admin:zz1');
    // after the backup: a destruction and a delivery
    t.vault.destroySubject(victim, { actor: 'admin:zz1', reason: 'deletion_request' });
    const feed = new EventFeed(vaultDb(t.vault));
    feed.subscribe({ name: 'probe', handle: () => undefined });
    await feed.drain();
    await feed.stop();
    const liveHead = lastEventId(vaultDb(t.vault));
    expect(readEventCursor(vaultDb(t.vault), 'probe')).toBe(liveHead);
    t.vault.close();

    const outcome = await restoreVault(t.dir, t.source, file, 'admin:zz1');
    expect(outcome.reappliedDestructions).toBe(1);
    const vault = await reopen(t.dir, t.source);
    const after = readEvents(vaultDb(vault), liveHead);
    // the reapplied destruction, then the restore: every id new, so none names two events
    expect(after.map((e) => e.type)).toEqual(['subject.destroyed', 'vault.restored']);
    expect(after[0]).toMatchObject({
      payload: { subjectIds: [victim], reason: 'restore_reapply' },
    });
    expect(after[1]).toMatchObject({
      payload: { reappliedDestructions: 1, auditEntriesCarried: expect.any(Number) as number },
    });
    expect(readEventCursor(vaultDb(vault), 'probe')).toBe(liveHead);
    // a subscriber resuming on the restored database is handed the new events only
    const seen: string[] = [];
    const feed2 = track(new EventFeed(vaultDb(vault)));
    feed2.subscribe({ name: 'probe', handle: (e) => void seen.push(e.type) });
    await feed2.drain();
    expect(seen).toEqual(['subject.destroyed', 'vault.restored']);
    expect(vault.verifyAudit().ok).toBe(true);
  });
});
