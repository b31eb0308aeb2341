// HubBackend on Durable Objects: each user id names one UserHub, reached with
// getByName wherever the request arrives. Nothing is ever broadcast.

import { actorVia, type HubBackend, type UserActor } from '../core/backend.ts';
import type { OpenOptions } from '../core/actor/hub.ts';
import { HubError, unwrap } from '../core/errors.ts';
import { encode } from '../core/json.ts';
import type { ActorLink, Sink } from '../core/transports/sink.ts';
import { bridge, upgradeWebSocket } from './bridge.ts';
import { OPEN_HEADER } from './opening.ts';
import type { UserHub } from './user-hub.ts';

export class DurableObjectBackend implements HubBackend {
  readonly #namespace: DurableObjectNamespace<UserHub>;
  readonly upgrade = upgradeWebSocket;

  constructor(namespace: DurableObjectNamespace<UserHub>) {
    this.#namespace = namespace;
  }

  /** The user's Durable Object; refusals it returns as values become HubErrors again here. */
  actor(userId: string): UserActor {
    const stub = this.#namespace.getByName(userId);
    return actorVia(async (name, args) => unwrap(await stub.call(name, args as never)));
  }

  /** Upgrades to the user's actor, which answers 101 with its socket or a JSON error; the socket feeds the sink. */
  async open(userId: string, sink: Sink, options: OpenOptions): Promise<ActorLink> {
    const headers = { Upgrade: 'websocket', [OPEN_HEADER]: encode({ transport: sink.transport, ...options }) };
    const response = await this.#namespace.getByName(userId).fetch('https://user-hub/stream', { headers });
    if (!response.webSocket) throw await HubError.fromResponse(response);
    return bridge(response.webSocket, sink);
  }
}
