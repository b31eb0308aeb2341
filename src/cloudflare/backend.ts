// HubBackend on Durable Objects: each user id names one UserHub, reached with
// getByName wherever the request arrives. Nothing is ever broadcast.

import { actorVia, type HubBackend, type StreamOpen, type UserActor } from '../core/backend.ts';
import { HubError, unwrap } from '../core/errors.ts';
import { encode } from '../core/json.ts';
import { SILENT_OBSERVER, type HubObserver } from '../core/observability/observer.ts';
import { bridgeToSse } from './sse-bridge.ts';
import { bridgeWebSocket } from './websocket-bridge.ts';
import { OPEN_HEADER, type Opening } from './opening.ts';
import type { UserHub } from './user-hub.ts';
import { collectJobAnswer, collectPollAnswer } from './wait-bridge.ts';

export class DurableObjectBackend implements HubBackend {
  readonly #namespace: DurableObjectNamespace<UserHub>;
  readonly #observer: HubObserver;

  constructor(namespace: DurableObjectNamespace<UserHub>, observer: HubObserver = SILENT_OBSERVER) {
    this.#namespace = namespace;
    this.#observer = observer;
  }

  /** The user's Durable Object; refusals it returns as values become HubErrors again here. */
  actor(userId: string): UserActor {
    const stub = this.#namespace.getByName(userId);
    return actorVia(async (name, args) => unwrap(await stub.call(name, args as never)));
  }

  async openWebSocket(open: StreamOpen): Promise<Response> {
    const response = await this.#openStream(open, 'websocket');
    if (response.status !== 101 || !response.webSocket) return response;
    this.#observer.connected('websocket', open.userId);
    const headers = open.protocol ? { 'Sec-WebSocket-Protocol': open.protocol } : undefined;
    return new Response(null, { status: 101, webSocket: bridgeWebSocket(response.webSocket), headers });
  }

  async openSse(open: StreamOpen, options: Parameters<HubBackend['openSse']>[1]): Promise<Response> {
    const response = await this.#openStream(open, 'sse');
    if (response.status !== 101 || !response.webSocket) return response;
    this.#observer.connected('sse', open.userId);
    return bridgeToSse(response.webSocket, options, open.request.signal);
  }

  async waitForEvents(wait: Parameters<HubBackend['waitForEvents']>[0], after: number | undefined, limit: number) {
    const response = await this.#upgrade(wait.userId, { transport: 'poll', credential: wait.credential, after, replayLimit: limit });
    if (!response.webSocket) throw await HubError.fromResponse(response);
    return collectPollAnswer(response.webSocket, wait, limit);
  }

  async waitForJob(wait: Parameters<HubBackend['waitForJob']>[0], jobId: string, version: number | undefined) {
    const response = await this.#upgrade(wait.userId, { transport: 'job', credential: wait.credential, job: { id: jobId, version } });
    if (!response.webSocket) throw await HubError.fromResponse(response);
    return collectJobAnswer(response.webSocket, wait);
  }

  #openStream({ userId, after, redeem, credential }: StreamOpen, transport: 'websocket' | 'sse'): Promise<Response> {
    return this.#upgrade(userId, { transport, after, redeem, credential });
  }

  /** Upgrades to the user's actor; the actor answers 101 or a JSON error. */
  #upgrade(userId: string, opening: Opening): Promise<Response> {
    const headers = { Upgrade: 'websocket', [OPEN_HEADER]: encode(opening) };
    return this.#namespace.getByName(userId).fetch('https://user-hub/stream', { headers });
  }
}
