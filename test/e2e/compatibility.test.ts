// Deployed clients keep working: the previous release's client library
// (test/fixtures/client-0.1.0.js, bundled unchanged) against the current
// server on every host and over every transport. A change that would strand
// clients in the field fails here before it lands.

import { afterEach, describe, expect, inject, it } from 'vitest';
import { eventually } from '../conformance/clients.ts';
import { createPublisher } from '../../src/publisher/index.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';

interface OldClient {
  lastId: string | undefined;
  status: { state: string };
  close(): void;
}
type OldConnect = (options: Record<string, unknown>) => OldClient;

const { connect } = (await import('../fixtures/client-0.1.0.js' as string)) as { connect: OldConnect };

describe.each(['wrangler dev', 'node', 'bun', 'deno'])('the 0.1.0 client against the current server on %s', (host) => {
  const open: OldClient[] = [];
  afterEach(() => open.splice(0).forEach((client) => client.close()));

  it.each(['websocket', 'sse', 'poll'])('receives every event once, in order, and resumes, over %s', { timeout: 30_000 }, async (transport) => {
    const base = inject('hostUrls')[host]!;
    const user = uniqueUser(`compat-${transport}`);
    const publisher = createPublisher({ url: base, secret: TEST_VARS.WEBHOOK_SECRET });
    const events: Array<{ id: string; type: string }> = [];
    const start = (lastId?: string) => {
      const client = connect({ url: base, getToken: () => tokenFor(user), transports: [transport], lastId, onEvent: (e: { id: string; type: string }) => events.push(e) });
      open.push(client);
      return client;
    };
    const first = start('0');
    // A long poll is "open" once its first answer came; a stream once it is ready.
    if (transport !== 'poll') await eventually(() => first.status.state === 'open', 10_000);
    await publisher.publish(user, 'export.ready', { n: 1 });
    // An inbox item is an event like any other to a client that knows nothing of the inbox.
    await publisher.notify(user, { type: 'comment', title: 'New comment' });
    await eventually(() => events.length === 2, 10_000);
    first.close();
    await publisher.publish(user, 'export.ready', { n: 2 });
    const second = start(first.lastId);
    await eventually(() => events.length === 3, 10_000);
    expect(events.map((e) => [e.id, e.type])).toEqual([
      ['1', 'export.ready'],
      ['2', 'inbox.created'],
      ['3', 'export.ready'],
    ]);
    // hub.ready follows the replayed event; it may be a moment behind it.
    await eventually(() => second.status.state === 'open', 10_000);
  });
});
