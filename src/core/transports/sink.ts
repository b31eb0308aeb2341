// A connection as the process that holds the client's request sees it: a sink
// that writes its transport's frames to the client, linked back to the user's
// actor. The same sink runs on every host: in process the actor's connection
// writes to it directly (standalone/backend.ts); on Cloudflare the Worker feeds
// it from the actor's hibernatable socket (cloudflare/bridge.ts).

import type { ActorLink, Observed, Sink } from '../backend.ts';
import type { HubContext } from '../context.ts';
import type { OpenOptions } from '../actor/options.ts';
import { isStream, type Transport } from '../actor/ports.ts';
import type { HubObserver } from '../observability/observer.ts';

export type { ActorLink, Observed, Sink };
import { CloseCode } from '../../protocol/wire.ts';

/** What every sink does with its link: frames from the client go to it, and it is left once. */
export abstract class LinkedSink implements Sink {
  abstract readonly transport: Transport;
  #link: ActorLink | undefined;
  #left = false;
  /** A stream's observer, told of its disconnect; its fields kept here, not in an object of their own (an idle socket keeps few). */
  #observer: HubObserver | undefined;
  #userId = '';
  #since = 0;

  abstract write(frame: string): boolean;
  abstract end(code: number, reason: string): void;

  linked(link: ActorLink, observed?: Observed): void {
    this.#link = link;
    if (observed) {
      this.#observer = observed.observer;
      this.#userId = observed.userId;
      this.#since = Date.now();
    }
    // Ended while the actor was opening it (a long poll answered by its replay, a client that left).
    if (this.#left) this.#leave();
  }

  protected toActor(message: string | ArrayBuffer): void {
    if (!this.#left) this.#link?.receive(message);
  }

  /** The connection is over: the actor forgets it, now or once it is linked. Idempotent. */
  protected leave(): void {
    if (this.#left) return;
    this.#left = true;
    this.#leave();
  }

  /** Whether the connection is over. */
  protected get left(): boolean {
    return this.#left;
  }

  #leave(): void {
    const link = this.#link;
    const observer = this.#observer;
    this.#link = this.#observer = undefined;
    link?.leave();
    if (observer && isStream(this)) observer.disconnected(this.transport, this.#userId, Date.now() - this.#since);
  }
}

/**
 * Opens `sink` as a connection of the user's actor, the same for every
 * transport and host; a stream's connect and disconnect reach the observer.
 * Throws the actor's refusal (401, 429) with nothing left open.
 */
export async function connect(c: HubContext, userId: string, sink: Sink, options: OpenOptions): Promise<void> {
  let link: ActorLink;
  try {
    link = await c.var.backend.open(userId, sink, options);
  } catch (err) {
    sink.end(CloseCode.normal, '');
    throw err;
  }
  if (!isStream(sink)) return sink.linked(link);
  c.var.observer.connected(sink.transport, userId);
  sink.linked(link, { observer: c.var.observer, userId });
}
