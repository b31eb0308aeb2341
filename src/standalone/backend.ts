// HubBackend for one process: each user id names one in-process actor from
// the directory. The same HTTP app and the same actor logic as on Cloudflare.

import { actorVia, callHub, type HubBackend, type JobWaitResult, type SseOptions, type StreamOpen, type UserActor, type Wait, type WaitResult } from '../core/backend.ts';
import type { OpenOptions } from '../core/actor/hub.ts';
import { jobAnswer, pollAnswer, Waiter } from '../core/actor/waiter.ts';
import { SILENT_OBSERVER, type HubObserver } from '../core/observability/observer.ts';
import type { ActorDirectory } from './actor-directory.ts';
import { SocketConnection, StreamConnection, type WebSocketUpgrader } from './connections.ts';

/** A socket the runtime never opened (the client left mid-upgrade) is dropped after this. */
const OPEN_TIMEOUT_MS = 10_000;

export class StandaloneBackend implements HubBackend {
  readonly #actors: ActorDirectory;
  readonly #upgrade: WebSocketUpgrader;
  readonly #observer: HubObserver;

  constructor(actors: ActorDirectory, upgrade: WebSocketUpgrader, observer: HubObserver = SILENT_OBSERVER) {
    this.#actors = actors;
    this.#upgrade = upgrade;
    this.#observer = observer;
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

  async openWebSocket({ userId, request, protocol, after, redeem, credential }: StreamOpen): Promise<Response> {
    const { hub } = this.#actors.get(userId);
    // Opened now, in this turn, like a Durable Object's accept; frames wait for the runtime's socket.
    // What an open socket keeps is the connection alone (not the request it came from).
    const connection = new SocketConnection(hub, userId, this.#observer, OPEN_TIMEOUT_MS);
    await hub.open(connection, { after, redeem, credential });
    return this.#upgrade(request, protocol, (socket) => connection.open(socket));
  }

  async openSse(open: StreamOpen, options: SseOptions): Promise<Response> {
    const { hub } = this.#actors.get(open.userId);
    const since = Date.now();
    const onAbort = () => connection.close();
    const connection: StreamConnection = new StreamConnection(options, () => {
      open.request.signal.removeEventListener('abort', onAbort);
      hub.closed(connection);
      this.#observer.disconnected('sse', open.userId, Date.now() - since);
    });
    try {
      await hub.open(connection, { after: open.after, redeem: open.redeem, credential: open.credential });
    } catch (err) {
      connection.close();
      throw err;
    }
    this.#observer.connected('sse', open.userId);
    open.request.signal.addEventListener('abort', onAbort);
    return new Response(connection.body, { headers: options.headers });
  }

  async waitForEvents(wait: Wait, after: number | undefined, limit: number): Promise<WaitResult> {
    const waiter = await this.#park(wait, new Waiter('poll'), { after, replayLimit: limit, credential: wait.credential });
    return pollAnswer(waiter.items, limit);
  }

  async waitForJob(wait: Wait, jobId: string, version: number | undefined): Promise<JobWaitResult> {
    const waiter = await this.#park(wait, new Waiter('job'), { job: { id: jobId, version }, credential: wait.credential });
    return jobAnswer(waiter.items);
  }

  /** Opens a waiter and waits for its answer, its time to run out, or its client to leave; then forgets it. */
  async #park(wait: Wait, waiter: Waiter, options: OpenOptions): Promise<Waiter> {
    const { hub } = this.#actors.get(wait.userId);
    await hub.open(waiter, options);
    const settle = () => waiter.settle();
    const timer = setTimeout(settle, wait.waitMs);
    wait.signal.addEventListener('abort', settle);
    if (wait.signal.aborted) settle();
    try {
      await waiter.done;
      return waiter;
    } finally {
      clearTimeout(timer);
      wait.signal.removeEventListener('abort', settle);
      hub.closed(waiter);
    }
  }
}
