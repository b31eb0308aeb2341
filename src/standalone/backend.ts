// HubBackend for one process: each user id names one in-process actor from
// the directory. The same HTTP app and the same actor logic as on Cloudflare.

import type { HubBackend } from '../core/backend.ts';
import { SILENT_OBSERVER, type HubObserver } from '../core/observability/observer.ts';
import { Waiter } from '../core/actor/waiter.ts';
import type { ActorDirectory } from './actor-directory.ts';
import {
  SocketConnection,
  StreamConnection,
  type WebSocketUpgrader,
} from './connections.ts';

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

  publish: HubBackend['publish'] = async (userId, input) => {
    const result = this.#actors.get(userId).hub.publish(input);
    this.#observer.published({ userId, eventId: result.id, delivered: result.delivered, duplicate: result.duplicate === true });
    return result;
  };

  openWebSocket: HubBackend['openWebSocket'] = async (open) => {
    const { hub } = this.#actors.get(open.userId);
    // Opened now, in this turn, like a Durable Object's accept; frames wait for the runtime's socket.
    const since = Date.now();
    const connection = new SocketConnection(() => {
      hub.closed(connection);
      this.#observer.disconnected('websocket', open.userId, Date.now() - since);
    });
    hub.open(connection, { after: open.after, redeem: open.redeem });
    this.#observer.connected('websocket', open.userId);
    const unopened = setTimeout(() => connection.closed(), OPEN_TIMEOUT_MS);
    return this.#upgrade(open.request, open.protocol, (socket) => {
      clearTimeout(unopened);
      connection.open(socket);
      return {
        onMessage: (message) => hub.receive(connection, message),
        onClose: () => connection.closed(),
      };
    });
  };

  openSse: HubBackend['openSse'] = async (open, options) => {
    const { hub } = this.#actors.get(open.userId);
    const since = Date.now();
    const onAbort = () => connection.close(1000, 'client left');
    const connection: StreamConnection = new StreamConnection(options, () => {
      open.request.signal.removeEventListener('abort', onAbort);
      hub.closed(connection);
      this.#observer.disconnected('sse', open.userId, Date.now() - since);
    });
    try {
      hub.open(connection, { after: open.after, redeem: open.redeem });
    } catch (err) {
      connection.close(1000, 'refused');
      throw err;
    }
    this.#observer.connected('sse', open.userId);
    open.request.signal.addEventListener('abort', onAbort);
    return new Response(connection.stream, { headers: options.headers });
  };

  poll: HubBackend['poll'] = async (userId, after, limit) => this.#actors.get(userId).hub.poll(after, limit);

  waitForEvents: HubBackend['waitForEvents'] = async (wait, after) => {
    const { hub } = this.#actors.get(wait.userId);
    const waiter = new Waiter('poll');
    hub.open(waiter, { after });
    await this.#park(waiter, wait.waitMs, wait.signal, () => hub.closed(waiter));
    return waiter.answer();
  };

  updateJob: HubBackend['updateJob'] = async (userId, jobId, update, key) => {
    const result = this.#actors.get(userId).hub.updateJob(jobId, update, key);
    this.#observer.published({
      userId,
      eventId: result.eventId,
      delivered: result.delivered,
      duplicate: result.duplicate === true,
      jobId,
    });
    return result;
  };

  getJob: HubBackend['getJob'] = async (userId, jobId) => this.#actors.get(userId).hub.getJob(jobId);

  listJobs: HubBackend['listJobs'] = async (userId, status, limit) =>
    this.#actors.get(userId).hub.listJobs(status, limit);

  waitForJob: HubBackend['waitForJob'] = async (wait, jobId, version) => {
    const { hub } = this.#actors.get(wait.userId);
    const waiter = new Waiter('job');
    hub.open(waiter, { job: { id: jobId, version } });
    await this.#park(waiter, wait.waitMs, wait.signal, () => hub.closed(waiter));
    return waiter.answer()[0] ?? null;
  };

  presence: HubBackend['presence'] = async (userId) => this.#actors.get(userId).hub.presence();

  stats: HubBackend['stats'] = async (userId) => this.#actors.get(userId).hub.stats();

  /** Waits for a waiter to settle, its time to run out, or its client to leave; then forgets it. */
  async #park(waiter: Waiter, waitMs: number, signal: AbortSignal, forget: () => void): Promise<unknown> {
    const settle = () => waiter.settle();
    const timer = setTimeout(settle, waitMs);
    signal.addEventListener('abort', settle);
    if (signal.aborted) settle();
    try {
      return await waiter.done;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', settle);
      forget();
    }
  }
}
