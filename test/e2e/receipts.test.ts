// Receipts back to the publisher on every host: when an inbox item is
// received (a client acknowledged it), seen and read, the user's actor POSTs a
// signed receipt to RECEIPTS_URL, retried with backoff under the same
// webhook-id. The receiver verifies with the `standardwebhooks` package and
// answers each first attempt with a 307 to another address, so every receipt
// here arrives by a retry, and none is ever posted where the redirect points.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, type HubClient } from '../../src/client/index.ts';
import { createPublisher } from '../../src/publisher/index.ts';
import { eventually } from '../conformance/clients.ts';
import { startReceiptReceiver } from '../helpers/receipt-receiver.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { EVERY_HOST, useEveryHost } from '../hosts/every-host.ts';

const RECEIPTS_SECRET = 'whsec_cmVjZWlwdHMtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ==';
/** Where the receiver's redirects point: a sender that followed one would land here. */
let trapped = 0;
const trap = createServer((_, response) => void (trapped++, response.writeHead(204).end()));
await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
const receiver = await startReceiptReceiver(RECEIPTS_SECRET, { redirectFirstTo: `http://127.0.0.1:${(trap.address() as AddressInfo).port}/stolen` });
afterAll(() => Promise.all([receiver.close(), new Promise((resolve) => trap.close(resolve))]));
const hosts = useEveryHost({ ...TEST_VARS, RECEIPTS_URL: receiver.url, RECEIPTS_SECRET, RECEIPTS_RETRY_SECONDS: '60' });

describe.concurrent('receipts to the publisher', () => {
  for (const host of EVERY_HOST) {
    it(`sends received, seen and read once each, signed, never following a redirect, retried under one webhook-id, on ${host}`, { timeout: 30_000 }, async () => {
      const base = hosts.url(host);
      const user = uniqueUser('receipts');
      const publisher = createPublisher({ url: base, secret: TEST_VARS.WEBHOOK_SECRET });
      let hub: HubClient | undefined;
      try {
        hub = connect({ url: base, getToken: () => tokenFor(user), transports: ['websocket'] });
        await eventually(() => hub!.status.state === 'open', 10_000);
        const { id } = await publisher.notify(user, { type: 'comment', title: 'New comment' });
        // The client library acknowledges the item it handed over: a `received` receipt.
        await eventually(() => receiver.receipts(user).some((r) => r.type === 'inbox.received'), 15_000);
        await hub.inbox.markRead([id]); // read, and seen with it
        await eventually(() => receiver.receipts(user).length === 3, 15_000);
        // A second read after unread is the same receipt: the receiver drops it by its webhook-id.
        await hub.inbox.markUnread([id]);
        await hub.inbox.markRead([id]);
        await new Promise((resolve) => setTimeout(resolve, 2500));

        const receipts = receiver.receipts(user);
        expect(receipts.map((r) => r.type).sort()).toEqual(['inbox.read', 'inbox.received', 'inbox.seen']);
        for (const receipt of receipts) {
          expect(receipt.data).toMatchObject({ userId: user, id });
          expect(receipt.webhookId).toBe(`rcpt_${receipt.type.slice('inbox.'.length)}_${id}_${user}`);
          expect(receipt.attempts).toBeGreaterThanOrEqual(2);
        }
        const item = await publisher.getNotification(user, id);
        expect(receipts.find((r) => r.type === 'inbox.received')!.data.receivedAt).toBe(item.receivedAt);
        expect(receiver.forged).toBe(0);
        expect(trapped).toBe(0);
      } finally {
        hub?.close();
      }
    });
  }
});
