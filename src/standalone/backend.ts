// HubBackend for one process: each user id names one in-process actor from
// the directory. The same HTTP app and the same actor logic as on Cloudflare.

import { actorVia, callHub, type HubBackend, type UserActor, type WebSocketUpgrader } from '../core/backend.ts';
import type { Outgoing } from '../core/actor/frames.ts';
import type { Hub, OpenOptions } from '../core/actor/hub.ts';
import type { Connection, Session, Transport } from '../core/actor/ports.ts';
import { log } from '../core/observability/log.ts';
import { FRAMES } from '../core/transports/index.ts';
import type { ActorLink, Sink } from '../core/transports/sink.ts';
import type { ActorDirectory } from './actor-directory.ts';

/** A connection of an in-process actor: the actor writes each message's frame to the sink, and the sink is linked back to it. */
class InProcessConnection implements Connection, ActorLink {
  session: Session | undefined;
  readonly #hub: Hub;
  readonly #sink: Sink;
  #closed = false;

  constructor(hub: Hub, sink: Sink) {
    this.#hub = hub;
    this.#sink = sink;
  }

  // Getters, not fields: an idle connection keeps four fields.
  get transport(): Transport {
    return this.#sink.transport;
  }

  get identity(): object {
    return this;
  }

  send(message: Outgoing): boolean {
    return !this.#closed && this.#sink.write(FRAMES[this.#sink.transport](message));
  }

  /** The actor ends it. */
  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.leave();
    this.#sink.end(code, reason);
  }

  receive(message: string | ArrayBuffer): void {
    if (this.#closed) return;
    this.#hub.receive(this, message).catch((err: unknown) => log.error('frame_failed', { error: String(err) }));
  }

  leave(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.closed(this);
  }
}

export class StandaloneBackend implements HubBackend {
  readonly #actors: ActorDirectory;
  readonly upgrade: WebSocketUpgrader;

  constructor(actors: ActorDirectory, upgrade: WebSocketUpgrader) {
    this.#actors = actors;
    this.upgrade = upgrade;
  }

  /**
   * The user's in-process actor. Its calls run one at a time (Kernel.run),
   * and each answer waits for the turn's group commit, so a client or
   * publisher never learns of a write that could still be lost.
   */
  actor(userId: string): UserActor {
    return actorVia(async (name, args) => {
      const result = await callHub(this.#actors.get(userId).hub, name, args);
      await this.#actors.committed();
      return result;
    });
  }

  /** Opens the connection in this turn; what an open connection keeps is its sink and this (not the request it came from). */
  async open(userId: string, sink: Sink, options: OpenOptions): Promise<ActorLink> {
    const { hub } = this.#actors.get(userId);
    const connection = new InProcessConnection(hub, sink);
    await hub.open(connection, options);
    return connection;
  }
}
