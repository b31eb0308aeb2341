// A client serves one user for its whole life, in Node (no tabs): when
// getToken starts returning another user's token (a logout and a login
// without a new connect()), the client stops with `user_changed` before it
// asks anything with that token. Nothing of the other user is delivered, and
// the old user's resume point is never used for the new one.

import { describe, expect, inject, it } from 'vitest';
import { connect, type HubEvent, type Status } from '../../src/client/index.ts';
import { createPublisher } from '../../src/publisher/index.ts';
import { eventually } from '../conformance/clients.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';

const HOSTS = ['node', 'wrangler dev'] as const;
const TRANSPORTS = ['websocket', 'sse', 'poll'] as const;

describe.concurrent.each(HOSTS)('a client changes user, on %s', (host) => {
  const base = () => inject('hostUrls')[host]!;
  const publisher = () => createPublisher({ url: base(), secret: TEST_VARS.WEBHOOK_SECRET });

  it.each(TRANSPORTS)('over %s: stops with user_changed when its refreshed token is another user, delivering none of that user', { timeout: 60_000 }, async (transport) => {
    const [amy, bob] = [uniqueUser('amy'), uniqueUser('bob')];
    for (let i = 1; i <= 9; i++) await publisher().publish(bob, 'bob.event', { i });
    let calls = 0;
    const events: HubEvent[] = [];
    const statuses: Status[] = [];
    const resets: unknown[] = [];
    // amy's first token runs out in 3 s; the next one the application hands over is bob's.
    const hub = connect({
      url: base(),
      getToken: () => (calls++ === 0 ? tokenFor(amy, 3) : tokenFor(bob)),
      transports: [transport],
      onEvent: (event) => events.push(event),
      onStatus: (status) => statuses.push(status),
      onReset: (reset) => resets.push(reset),
    });
    try {
      await eventually(() => hub.status.state === 'open', 10_000);
      expect(hub.userId).toBe(amy);
      for (let i = 1; i <= 3; i++) await publisher().publish(amy, 'amy.event', { i });
      await eventually(() => events.length === 3, 10_000);
      // A parked long poll learns of the expiry when it next asks (its wait is 25 s).
      await eventually(() => hub.status.state === 'failed', transport === 'poll' ? 40_000 : 15_000);
      expect(hub.status).toEqual({ state: 'failed', error: { code: 'user_changed', message: expect.stringContaining(amy) } });
      await publisher().publish(bob, 'bob.event', { i: 10 });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(events.map((e) => e.type)).toEqual(['amy.event', 'amy.event', 'amy.event']);
      expect(resets).toEqual([]);
      expect(hub.userId).toBe(amy);
      expect(hub.lastId).toBe('3');
      // The client asked nothing as bob: no connection of bob's was ever open, and it never reconnects.
      expect((await publisher().presence(bob)).connections).toEqual({ websocket: 0, sse: 0, poll: 0 });
      expect(statuses.at(-1)!.state).toBe('failed');
    } finally {
      hub.close();
    }
  });

  it('gives the application no inbox counts once it stopped for another user, even from an answer already on its way', { timeout: 30_000 }, async () => {
    const [amy, bob] = [uniqueUser('amy-inbox'), uniqueUser('bob-inbox')];
    await publisher().notify(amy, { type: 'secret.note', title: 'amy only' });
    let refuseOnce = true;
    const slowInbox: typeof fetch = async (input, init) => {
      const url = String(input);
      if (url.includes('/v1/inbox')) await new Promise((resolve) => setTimeout(resolve, 800)); // a slow inbox read
      // A refused job read stands for anything that makes the client fetch a fresh token (a renew, a 4401).
      if (url.includes('/v1/jobs/') && refuseOnce) {
        refuseOnce = false;
        return new Response('{}', { status: 401 });
      }
      return fetch(input, init);
    };
    const counts: Array<{ state: string }> = [];
    const hub = connect({
      url: base(),
      getToken: ({ refresh }) => tokenFor(refresh ? bob : amy),
      transports: ['websocket'],
      fetch: slowInbox,
      onInbox: () => counts.push({ state: hub.status.state }),
    });
    try {
      await eventually(() => hub.status.state === 'open', 10_000);
      const stop = hub.watchJob('j1', () => undefined); // its refused read brings bob's token: user_changed
      await eventually(() => hub.status.state === 'failed', 10_000);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // past the slow inbox answer
      stop();
      expect(counts.filter((c) => c.state === 'failed')).toEqual([]);
    } finally {
      hub.close();
    }
  });

  it('keeps working across a refresh to a token of the same user', { timeout: 30_000 }, async () => {
    const amy = uniqueUser('amy-same');
    const events: HubEvent[] = [];
    const hub = connect({ url: base(), getToken: ({ refresh }) => tokenFor(amy, refresh ? 600 : 3), transports: ['websocket'], onEvent: (e) => events.push(e) });
    try {
      await eventually(() => hub.status.state === 'open', 10_000);
      await new Promise((resolve) => setTimeout(resolve, 4000)); // past the first token's expiry
      await publisher().publish(amy, 'still.amy', {});
      await eventually(() => events.length === 1, 10_000);
      expect(hub.status.state).toBe('open');
    } finally {
      hub.close();
    }
  });
});

describe('a client tells the application why it cannot connect', () => {
  it('reports an unreachable service as status reconnecting with error network, and keeps trying', { timeout: 20_000 }, async () => {
    const statuses: Status[] = [];
    const hub = connect({ url: 'http://127.0.0.1:1', token: 't', transports: ['sse'], backoff: { baseMs: 50, capMs: 100 }, onStatus: (s) => statuses.push(s) });
    try {
      await eventually(() => statuses.filter((s) => s.state === 'reconnecting').length >= 2, 10_000);
      expect(statuses.find((s) => s.state === 'reconnecting')).toMatchObject({ error: { code: 'network', message: expect.stringContaining('ALLOWED_ORIGINS') } });
    } finally {
      hub.close();
    }
  });

  it.each(['sse'] as const)('stops with origin_refused when the service refuses the page\'s origin on a stream open (%s)', { timeout: 20_000 }, async (transport) => {
    const base = inject('hostUrls').node!;
    const user = uniqueUser('origin');
    // As a browser on another site would send it.
    const fromElsewhere: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), Origin: 'https://elsewhere.example' } });
    const hub = connect({ url: base, getToken: () => tokenFor(user), transports: [transport], fetch: fromElsewhere });
    try {
      await eventually(() => hub.status.state === 'failed', 10_000);
      expect(hub.status).toMatchObject({ state: 'failed', error: { code: 'origin_refused', message: expect.stringContaining('ALLOWED_ORIGINS') } });
    } finally {
      hub.close();
    }
  });
});
