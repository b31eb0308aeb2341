// A publisher's receipt endpoint, as a real one would be written: every
// request's signature verified with the `standardwebhooks` package (not the
// service's own code), deduplicated by webhook-id, and the first attempt of
// each id refused so that every receipt is delivered by a retry: with 503, or
// with a 307 to `trap` (an address the service must never POST to, since a
// sender that followed the redirect would hand the signed receipt elsewhere).

import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Receipt {
  webhookId: string;
  type: string;
  data: { userId: string; id: string } & Record<string, string>;
  /** Deliveries of this webhook-id, the refused first one included. */
  attempts: number;
}

export interface ReceiptReceiver {
  url: string;
  /** Receipts for one user, once each, in the order first accepted. */
  receipts(userId: string): Receipt[];
  /** Requests whose signature did not verify. */
  readonly forged: number;
  close(): Promise<void>;
}

const read = (request: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body)).on('error', reject);
  });

export async function startReceiptReceiver(secret: string, options: { redirectFirstTo?: string } = {}): Promise<ReceiptReceiver> {
  const webhook = new Webhook(secret);
  const byId = new Map<string, Receipt>();
  const attempts = new Map<string, number>();
  let forged = 0;
  const server = createServer(async (request, response) => {
    const body = await read(request);
    let payload: { type: string; data: Receipt['data'] };
    try {
      payload = webhook.verify(body, request.headers as Record<string, string>) as typeof payload;
    } catch {
      forged++;
      return response.writeHead(401).end();
    }
    const id = String(request.headers['webhook-id']);
    const seen = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, seen);
    if (seen === 1) {
      // The first try of every receipt fails.
      return options.redirectFirstTo ? response.writeHead(307, { Location: options.redirectFirstTo }).end() : response.writeHead(503).end();
    }
    const known = byId.get(id);
    if (known) known.attempts = seen;
    else byId.set(id, { webhookId: id, type: payload.type, data: payload.data, attempts: seen });
    response.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/receipts`,
    receipts: (userId) => [...byId.values()].filter((r) => r.data.userId === userId),
    get forged() {
      return forged;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
