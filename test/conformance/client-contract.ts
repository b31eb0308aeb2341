// The client and publisher libraries against a real host, through a proxy
// that drops connections and blocks transports for real.

import { afterEach, describe, expect, it } from 'vitest';
import { connect, type HubEvent, type Status } from '../../src/client/index.ts';
import { createPublisher } from '../../src/publisher/index.ts';
import { startChaosProxy, type ChaosProxy } from '../helpers/chaos-proxy.ts';
import { createInbox } from '../helpers/inbox.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { eventually } from './clients.ts';

const FAST = { backoff: { baseMs: 50, capMs: 400 } };

export function describeClientContract(host: string, baseUrl: () => string) {
  describe(`client and publisher libraries on ${host}`, () => {
    let proxy: ChaosProxy | undefined;
    const cleanups: Array<() => void> = [];
    afterEach(async () => {
      cleanups.splice(0).forEach((cleanup) => cleanup());
      await proxy?.close();
      proxy = undefined;
    });

    it('delivers every event once and in order across drops and forced transport fallbacks', async () => {
      proxy = await startChaosProxy(baseUrl());
      const publisher = createPublisher({ url: baseUrl(), secret: TEST_VARS.WEBHOOK_SECRET });
      const user = uniqueUser();
      const events: HubEvent[] = [];
      const statuses: Status[] = [];
      const hub = connect({
        url: proxy.url,
        getToken: () => tokenFor(user),
        lastId: '0',
        upgradeAfterMs: 1500,
        ...FAST,
        onEvent: (event) => events.push(event),
        onStatus: (status) => statuses.push(status),
      });
      cleanups.push(() => hub.close());
      const onTransport = (transport: string) =>
        eventually(() => hub.status.state === 'open' && 'transport' in hub.status && hub.status.transport === transport, 10_000);
      let n = 0;
      const publishSome = async (count: number) => {
        for (let i = 0; i < count; i++) await publisher.publish(user, 'n', { n: n++ });
      };

      await onTransport('websocket');
      await publishSome(5);

      proxy.block('websocket');
      proxy.dropAll();
      await publishSome(5); // during the outage
      await onTransport('sse');
      await publishSome(3);

      proxy.block('sse');
      proxy.dropAll();
      await publishSome(5);
      await onTransport('poll');
      await publishSome(3);

      proxy.unblock(); // the client tries the best transport again by itself
      await onTransport('websocket');
      await publishSome(4);

      await eventually(() => events.length >= n, 10_000);
      expect(events.map((e) => e.id)).toEqual(Array.from({ length: n }, (_, i) => String(i + 1)));
      expect(events.map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: n }, (_, i) => i));
      const used = new Set(statuses.filter((s) => s.state === 'open').map((s) => ('transport' in s ? s.transport : '')));
      expect([...used].sort()).toEqual(['poll', 'sse', 'websocket']);
    });

    it('refreshes the token through getToken when the server refuses it', async () => {
      const user = uniqueUser();
      const asked: boolean[] = [];
      const events = createInbox<HubEvent>();
      const hub = connect({
        url: baseUrl(),
        ...FAST,
        getToken: async ({ refresh }) => {
          asked.push(refresh);
          return refresh ? tokenFor(user) : 'expired.token.value';
        },
        onEvent: (event) => events.push(event),
      });
      cleanups.push(() => hub.close());
      await eventually(() => hub.status.state === 'open', 10_000);
      expect(asked).toEqual([false, true]);
      await createPublisher({ url: baseUrl(), secret: TEST_VARS.WEBHOOK_SECRET }).publish(user, 'hello', 1);
      expect((await events.next()).type).toBe('hello');
    });

    it('stops with status unauthorized when a fixed token is refused', async () => {
      const hub = connect({ url: baseUrl(), token: 'not-a-token', ...FAST });
      cleanups.push(() => hub.close());
      await eventually(() => hub.status.state === 'unauthorized', 10_000);
    });

    it('waitForJob resolves with the final job, pushed or long-polled', async () => {
      const publisher = createPublisher({ url: baseUrl(), secret: TEST_VARS.WEBHOOK_SECRET });
      for (const transports of [['websocket'], ['poll']] as const) {
        const user = uniqueUser();
        const hub = connect({ url: baseUrl(), getToken: () => tokenFor(user), transports: [...transports], ...FAST });
        cleanups.push(() => hub.close());
        await publisher.updateJob(user, 'render', { status: 'running', progress: 0.2 });
        const waiting = hub.waitForJob('render', { timeout: 15_000 });
        await new Promise((resolve) => setTimeout(resolve, 200));
        await publisher.updateJob(user, 'render', { status: 'running', progress: 0.8 });
        await publisher.updateJob(user, 'render', { status: 'succeeded', result: { url: 'subs.vtt' } });
        expect(await waiting).toMatchObject({ id: 'render', status: 'succeeded', result: { url: 'subs.vtt' } });
      }
    });

    it('waitForJob rejects on timeout and on abort', async () => {
      const user = uniqueUser();
      const hub = connect({ url: baseUrl(), getToken: () => tokenFor(user), ...FAST });
      cleanups.push(() => hub.close());
      await expect(hub.waitForJob('never', { timeout: 300 })).rejects.toMatchObject({ name: 'TimeoutError' });
      const controller = new AbortController();
      const waiting = hub.waitForJob('never', { signal: controller.signal });
      controller.abort();
      await expect(waiting).rejects.toBeTruthy();
    });

    it('publisher retries reuse the webhook-id, so a lost answer never doubles an event', async () => {
      proxy = await startChaosProxy(baseUrl());
      const user = uniqueUser();
      const publisher = createPublisher({ url: proxy.url, secret: TEST_VARS.WEBHOOK_SECRET, backoffMs: 20 });
      proxy.swallowResponses(2); // the event lands, but the publisher sees 502 twice
      expect(await publisher.publish(user, 'once', 1)).toEqual({ id: '1', delivered: 0, duplicate: true });
      expect(await publisher.publish(user, 'next', 2)).toEqual({ id: '2', delivered: 0 });
      expect(await publisher.presence(user)).toEqual({ online: false, connections: { websocket: 0, sse: 0, poll: 0 } });
      const many = await publisher.publishMany([user, uniqueUser()], 'all', null);
      expect(many.map((r) => ('id' in r ? r.id : r.error.code))).toEqual(['3', '1']);
      await expect(publisher.updateJob(user, 'j', { status: 'done' as 'queued' })).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
    });
  });
}
