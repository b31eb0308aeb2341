// HubBackend on Durable Objects: each user id names one UserHub, reached with
// getByName wherever the request arrives. Nothing is ever broadcast.

import type { HubBackend, StreamOpen } from '../core/backend.ts';
import type { StreamTransport } from '../core/actor/ports.ts';
import { bridgeToSse } from './sse-bridge.ts';
import { STREAM_HEADERS } from './stream-headers.ts';
import type { UserHub } from './user-hub.ts';

export class DurableObjectBackend implements HubBackend {
  readonly #namespace: DurableObjectNamespace<UserHub>;

  constructor(namespace: DurableObjectNamespace<UserHub>) {
    this.#namespace = namespace;
  }

  publish: HubBackend['publish'] = (userId, input) => this.#namespace.getByName(userId).publish(input);

  /** Upgrades to the user's actor; the actor answers 101 or a JSON error. */
  async #upgrade(open: StreamOpen, transport: StreamTransport): Promise<Response> {
    const headers = new Headers({ Upgrade: 'websocket', [STREAM_HEADERS.transport]: transport });
    if (open.after !== undefined) headers.set(STREAM_HEADERS.after, String(open.after));
    if (open.redeem) {
      headers.set(STREAM_HEADERS.ticketNonce, open.redeem.nonce);
      headers.set(STREAM_HEADERS.ticketExp, String(open.redeem.exp));
    }
    return this.#namespace.getByName(open.userId).fetch('https://user-hub/stream', { headers });
  }

  openWebSocket: HubBackend['openWebSocket'] = async (open) => {
    const response = await this.#upgrade(open, 'websocket');
    if (response.status !== 101 || !response.webSocket) return response;
    const headers = open.protocol ? { 'Sec-WebSocket-Protocol': open.protocol } : undefined;
    return new Response(null, { status: 101, webSocket: response.webSocket, headers });
  };

  openSse: HubBackend['openSse'] = async (open, options) => {
    const response = await this.#upgrade(open, 'sse');
    if (response.status !== 101 || !response.webSocket) return response;
    return bridgeToSse(response.webSocket, options);
  };
}
