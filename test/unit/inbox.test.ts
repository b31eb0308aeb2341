// Inbox retention and the counts' invariant, on real SQLite (node:sqlite)
// through the in-process actor directory.

import { eventually, json } from '../helpers/wire.ts';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, readReceipts } from '../../src/core/config.ts';
import { receiptWebhookId, type ReceiptSettings } from '../../src/core/actor/receipts.ts';
import { LEASE_MS } from '../../src/core/actor/schedule.ts';
import { readReceipt } from '../../src/publisher/index.ts';
import { Webhook } from 'standardwebhooks';
import { ActorDirectory, sqliteStorage } from '../../src/standalone/actor-directory.ts';
import { StandaloneBackend } from '../../src/standalone/backend.ts';
import { configure, createSqliteStore, type SqliteDatabase } from '../../src/standalone/sqlite-store.ts';
import type { InboxAction } from '../../src/protocol/wire.ts';
import { createRandom } from '../verify/seeded-random.ts';

const directories: ActorDirectory[] = [];
afterEach(() => directories.splice(0).forEach((d) => d.close()));

async function open(limits = DEFAULT_LIMITS, receipts?: ReceiptSettings) {
  const db = new DatabaseSync(':memory:') as unknown as SqliteDatabase;
  configure(db);
  const sql = createSqliteStore(db);
  const directory = new ActorDirectory(sqliteStorage(sql), { limits, idleMs: 1000, alarmTickMs: 60_000, receipts });
  await directory.ready;
  directories.push(directory);
  return { sql, directory, backend: new StandaloneBackend(directory, () => new Response(null)) };
}

let n = 0;
const note = (extra: Record<string, string> = {}) => ({ type: 'n', webhookId: `msg_${++n}`, ...extra });

describe('the inbox on real SQLite', () => {
  it('keeps at most INBOX_MAX_ITEMS, dropping the oldest as new ones arrive', async () => {
    const { backend } = await open({ ...DEFAULT_LIMITS, inboxMaxItems: 3 });
    for (let i = 0; i < 5; i++) await backend.actor('u').notify(note());
    const page = await backend.actor('u').listInbox('all', undefined, 10);
    expect(page.items.map((item) => JSON.parse(item).id)).toEqual(['5', '4', '3']);
    expect(page.counts).toEqual({ unread: 3, unseen: 3, total: 3 });
  });

  it('drops items past INBOX_MAX_AGE_SECONDS when the actor prunes, and asks to prune again when the next one ages out', async () => {
    const { sql, directory, backend } = await open({ ...DEFAULT_LIMITS, inboxMaxAgeSeconds: 3600 });
    await backend.actor('u').notify(note());
    const due = (await sql.all<{ at: number }>(`SELECT at FROM schedule WHERE owner = 'u' AND reason = 'prune'`))[0]!.at;
    expect(due).toBeLessThanOrEqual(Date.now() + 3600_000);
    await directory.runDueAlarms(Date.now() + 3601_000);
    expect((await backend.actor('u').listInbox('all', undefined, 10)).counts.total).toBe(0);
  });

  it('never lets the user\'s own clicks evict a publisher\'s event: inbox.changed keeps one event per item and is not counted', async () => {
    const { directory, backend } = await open({ ...DEFAULT_LIMITS, retentionMaxEvents: 5 });
    const actor = backend.actor('u');
    let now = Date.now();
    await actor.publish({ type: 'invoice.paid', data: json('{"amount":42}'), webhookId: 'msg_invoice' }, now);
    const [a, b] = [await actor.notify(note(), now), await actor.notify(note(), now)];
    const resumeFrom = 3; // a device saw everything so far
    // 61 toggles, one a second (under INBOX_WRITE_RATE), then a prune is due.
    for (let i = 0; i < 61; i++) {
      now += 1000;
      const action = i % 2 === 0 ? 'read' : 'unread';
      await actor.changeInbox(action, { ids: [Number(i % 3 === 0 ? a.id : b.id)] }, undefined, now);
    }
    await actor.changeInbox('archive', { ids: [Number(a.id)] }, undefined, (now += 1000));
    await actor.publish({ type: 'later', data: json('{}'), webhookId: 'msg_later' }, (now += 1000));
    await directory.runDueAlarms(now + 3600_000);

    const all = (await actor.poll(0, 100)).frames.map((frame) => JSON.parse(frame) as { id: string; type: string; data: never });
    expect(all.map((e) => e.type)).toEqual(['invoice.paid', 'inbox.created', 'inbox.created', 'inbox.changed', 'inbox.changed', 'later']);
    // A device resuming after the notifications still ends up with every item's state and the counts.
    const states = new Map<string, { readAt: string | null; archivedAt: string | null }>();
    let counts: unknown;
    for (const event of all.filter((e) => Number(e.id) > resumeFrom && e.type === 'inbox.changed')) {
      const change = event.data as { counts: unknown; items: Array<{ id: string; readAt: string | null; archivedAt: string | null }> };
      for (const item of change.items) states.set(item.id, item);
      counts = change.counts;
    }
    const items = (await actor.listInbox('all', undefined, 10)).items.concat((await actor.listInbox('archived', undefined, 10)).items).map((item) => JSON.parse(item));
    for (const item of items) expect(states.get(item.id)).toMatchObject({ readAt: item.readAt, archivedAt: item.archivedAt });
    expect(counts).toEqual((await actor.listInbox('all', undefined, 1)).counts);
  });

  it('asks for no count prune on every publish after many clicks: they do not count towards the limit', async () => {
    const { sql, directory, backend } = await open({ ...DEFAULT_LIMITS, retentionMaxEvents: 5, pruneDelaySeconds: 1 });
    const actor = backend.actor('u');
    let now = Date.now();
    const { id } = await actor.notify(note(), now);
    for (let i = 0; i < 30; i++) await actor.changeInbox(i % 2 === 0 ? 'read' : 'unread', { ids: [Number(id)] }, undefined, (now += 1000));
    await actor.publish({ type: 'a', data: json('{}'), webhookId: 'msg_count_a' }, (now += 1000));
    await directory.runDueAlarms((now += 2000));
    // The log holds 3 events that count (of 5 allowed): the next publish asks for a prune only when something ages out.
    await actor.publish({ type: 'b', data: json('{}'), webhookId: 'msg_count_b' }, (now += 1000));
    const due = (await sql.all<{ at: number }>(`SELECT at FROM schedule WHERE owner = 'u' AND reason = 'prune'`))[0]!.at;
    expect(due - now).toBeGreaterThan(60_000);
  });

  it.each([
    ['unseen', [], { unread: 0, unseen: 0, total: 0 }, true],
    ['seen, not read', ['seen'], { unread: 0, unseen: 1, total: 0 }, true],
    ['read', ['read'], { unread: 1, unseen: 1, total: 1 }, false],
    ['archived', ['archive'], { unread: 1, unseen: 1, total: 1 }, false],
  ] as const)('collapses an item that is %s: the counts move by %j', async (_, actions, delta, replaced) => {
    const { backend } = await open();
    const actor = backend.actor('u');
    const first = await actor.notify(note({ collapseKey: 'k' }));
    for (const action of actions) await actor.changeInbox(action, { ids: [Number(first.id)] });
    const before = (await actor.listInbox('all', undefined, 1)).counts;
    const second = await actor.notify(note({ collapseKey: 'k' }));
    const after = (await actor.listInbox('all', undefined, 1)).counts;
    expect({ unread: after.unread - before.unread, unseen: after.unseen - before.unseen, total: after.total - before.total }).toEqual(delta);
    const created = JSON.parse((await actor.poll(Number(second.id) - 1, 1)).frames[0]!) as { data: { replaces?: string } };
    expect(created.data.replaces).toBe(replaced ? first.id : undefined);
  });

  it('never lets the counts drift from the rows, whatever the order of changes (seeded random)', async () => {
    const { sql, backend } = await open({ ...DEFAULT_LIMITS, inboxMaxItems: 20 });
    const random = createRandom(17);
    const actions: InboxAction[] = ['seen', 'read', 'unread', 'archive'];
    for (let step = 1; step <= 300; step++) {
      const actor = backend.actor('u');
      if (random.chance(0.3)) {
        await actor.notify(note(random.chance(0.3) ? { collapseKey: `k${random.int(3)}` } : {}));
        continue;
      }
      const action = random.pick(actions);
      const ids = Array.from({ length: 1 + random.int(4) }, () => 1 + random.int(step));
      const target = action === 'seen' || (action === 'read' && random.chance(0.3)) ? { through: Math.max(...ids) } : { ids };
      const result = await actor.changeInbox(action, target).catch((err: { status?: number }) => {
        if (err.status === 429) return null;
        throw err;
      });
      if (!result) continue;
      const row = (await sql.all<{ unread: number; unseen: number; total: number }>(
        `SELECT coalesce(sum(read_at IS NULL), 0) AS unread, coalesce(sum(seen_at IS NULL), 0) AS unseen, count(*) AS total
         FROM inbox WHERE owner = 'u' AND archived_at IS NULL`,
      ))[0]!;
      expect(result.counts).toEqual(row);
    }
  });
});

describe('receipts to the publisher', () => {
  it('retries an unanswered receipt with doubling delays under one webhook-id, and drops it when RECEIPTS_RETRY_SECONDS are up', async () => {
    const sent: Array<{ id: string; at: number }> = [];
    let clock = Date.now();
    const { sql, directory, backend } = await open(DEFAULT_LIMITS, {
      retrySeconds: 10,
      send: async (id) => {
        sent.push({ id, at: clock });
        return false;
      },
    });
    await backend.actor('u').notify(note());
    await backend.actor('u').acknowledge(1);
    const due = async () => (await sql.all<{ at: number }>(`SELECT at FROM schedule WHERE owner = 'u' AND reason = 'receipts'`))[0]?.at;
    for (let round = 0; round < 8 && (await due()) !== undefined; round++) {
      clock = Math.max(clock, (await due())!);
      await (await directory.get('u').hub.wake(clock)).sent;
    }
    expect(new Set(sent.map((s) => s.id))).toEqual(new Set(['rcpt_received_1_u']));
    const gaps = sent.slice(1).map((s, i) => s.at - sent[i]!.at);
    expect(gaps.map((gap) => Math.round(gap / 100) / 10)).toEqual([1, 2, 4]);
    // 1 + 2 + 4 s have passed; the next try (8 s later) would be past the 10 s: dropped.
    expect(sent).toHaveLength(4);
    expect((await sql.all(`SELECT * FROM receipts`))).toEqual([]);
    expect((await due())).toBeUndefined();
  });

  it('sends a receipt again, with its webhook-id, after the lease of a process that died sending it', async () => {
    const first: string[] = [];
    const { sql, backend } = await open(DEFAULT_LIMITS, { retrySeconds: 3600, send: async (id) => (first.push(id), new Promise<boolean>(() => {})) });
    await backend.actor('u').notify(note());
    await backend.actor('u').acknowledge(1);
    await eventually(() => first.length === 1); // claimed and sending: then the process dies
    // The same file opened by a restarted process.
    const again: string[] = [];
    const restarted = new ActorDirectory(sqliteStorage(sql), { limits: DEFAULT_LIMITS, idleMs: 1000, alarmTickMs: 60_000, receipts: { retrySeconds: 3600, send: async (id) => (again.push(id), true) } });
    directories.push(restarted);
    await restarted.ready;
    await restarted.runDueAlarms(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(again).toEqual([]); // held by the claim until its lease ends
    await restarted.runDueAlarms(Date.now() + LEASE_MS + 1000);
    await eventually(() => again.length === 1);
    expect(again).toEqual(first);
  });

  it('asks for no wake while a round is still sending, and keeps the sending actor in memory', async () => {
    let release!: () => void;
    const answered = new Promise<boolean>((resolve) => (release = () => resolve(true)));
    let sends = 0;
    const { sql, directory, backend } = await open(DEFAULT_LIMITS, {
      retrySeconds: 600,
      send: async () => (sends++, answered),
    });
    await backend.actor('u').notify(note());
    await backend.actor('u').acknowledge(1);
    const hub = directory.get('u').hub;
    const first = await hub.wake(Date.now() + 1000);
    // In flight once its webhook-id is hashed (crypto answers on a later turn).
    await eventually(() => sends === 1);
    expect(sends).toBe(1);
    // A second wake while the first round is sending: skipped, and no wake due at once (no wake loop). The row
    // stays in the store as it was, so a process that died sending would run the round again when it restarts.
    await hub.wake(Date.now() + 1000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(hub.schedule.isDue(Date.now() + 1000)).toBe(false);
    expect(await directory.runDueAlarms(Date.now() + 1000)).toBe(0);
    expect(await sql.all(`SELECT at FROM schedule WHERE owner = 'u' AND reason = 'receipts'`)).toHaveLength(1);
    // An idle actor whose round is sending is not evicted: a new one would send the same rows again.
    directory.evictIdle(Date.now() + 3_600_000);
    expect(directory.size).toBe(1);
    release();
    await first.sent;
    // The round in flight may be the directory's own wake (its timer) rather than this one: wait for its settle.
    await eventually(async () => (await sql.all(`SELECT * FROM receipts`)).length === 0 && directory.get('u').hub.sending === 0);
    expect(sends).toBe(1);
    expect(await sql.all(`SELECT * FROM receipts`)).toEqual([]);
    await eventually(async () => (await sql.all(`SELECT at FROM schedule WHERE owner = 'u' AND reason = 'receipts'`)).length === 0); // the lease is released
    directory.evictIdle(Date.now() + 3_600_000);
    expect(directory.size).toBe(0);
  });

  it('queues nothing without RECEIPTS_URL, and fails closed on half a configuration', async () => {
    const { sql, backend } = await open();
    await backend.actor('u').notify(note());
    await backend.actor('u').acknowledge(1);
    expect((await sql.all(`SELECT * FROM receipts`))).toEqual([]);
    expect(readReceipts({})).toBeNull();
    expect(() => readReceipts({ RECEIPTS_URL: 'https://example.com/r' })).toThrow(/together/);
    expect(() => readReceipts({ RECEIPTS_URL: 'http://example.com/r', RECEIPTS_SECRET: 'whsec_cmVjZWlwdHMtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ==' })).toThrow(/https/);
    expect(() => readReceipts({ RECEIPTS_URL: 'https://example.com/r', RECEIPTS_SECRET: 'plain' })).toThrow(/whsec_/);
    expect(() => readReceipts({ RECEIPTS_URL: 'https://example.com/r', RECEIPTS_SECRET: 'whsec_YWJj' })).toThrow(/24 bytes/);
    expect(readReceipts({ RECEIPTS_URL: 'https://example.com/r', RECEIPTS_SECRET: 'whsec_cmVjZWlwdHMtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ==' })).toMatchObject({ retrySeconds: 86400 });
  });
});

describe('reading a receipt in the publisher library', () => {
  const secret = 'whsec_cmVjZWlwdHMtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ==';
  const body = '{"type":"inbox.read","timestamp":"2026-12-01T22:00:00.000Z","data":{"userId":"john","id":"42","readAt":"2026-12-01T22:00:00.000Z"}}';
  /** Signed by the standardwebhooks package, not by the service's own code. */
  const signed = (content: string, id = 'rcpt_read_42_john', signWith = secret) => {
    const timestamp = new Date();
    const signature = new Webhook(signWith).sign(id, timestamp, content);
    return new Request('https://publisher.example/receipts', {
      method: 'POST',
      headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': signature },
      body: content,
    });
  };

  it('verifies a Standard Webhooks signature and returns the receipt', async () => {
    expect(await readReceipt(secret, signed(body))).toEqual({
      type: 'inbox.read',
      webhookId: 'rcpt_read_42_john',
      timestamp: '2026-12-01T22:00:00.000Z',
      data: { userId: 'john', id: '42', readAt: '2026-12-01T22:00:00.000Z' },
    });
  });

  it('refuses a tampered body, another secret, or what is not a receipt', async () => {
    const request = signed(body);
    const tampered = new Request(request.url, { method: 'POST', headers: request.headers, body: body.replace('john', 'jane') });
    expect(await readReceipt(secret, tampered)).toBeNull();
    expect(await readReceipt(secret, signed(body, undefined, 'whsec_b3RoZXItc2VjcmV0LW9mLXNvbWUtbGVuZ3Ro'))).toBeNull();
    expect(await readReceipt(secret, signed('{"type":"export.ready","data":{}}'))).toBeNull();
  });

  it('keeps webhook-ids within 128 characters: a long user id is hashed', async () => {
    expect(await receiptWebhookId('john', 'read_42')).toBe('rcpt_read_42_john');
    const long = await receiptWebhookId('u'.repeat(128), 'read_42');
    expect(long).toMatch(/^rcpt_read_42_h[A-Za-z0-9_-]{43}$/);
    expect(long.length).toBeLessThanOrEqual(128);
    expect(await receiptWebhookId('v'.repeat(128), 'read_42')).not.toBe(long);
  });
});
