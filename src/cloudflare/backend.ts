// HubBackend on Durable Objects: each user id names one UserHub, reached with
// getByName wherever the request arrives. Nothing is ever broadcast.

import type { HubBackend, StreamOpen } from '../core/backend.ts';
import type { Transport } from '../core/actor/ports.ts';
import { HubError, unwrap } from '../core/errors.ts';
import { SILENT_OBSERVER, type HubObserver } from '../core/observability/observer.ts';
import { bridgeToSse } from './sse-bridge.ts';
import { STREAM_HEADERS } from './stream-headers.ts';
import type { UserHub } from './user-hub.ts';
import { collectFrames, createEventsArrived, withoutReady } from './wait-bridge.ts';

interface Upgrade {
  userId: string;
  transport: Transport;
  after?: number;
  redeem?: StreamOpen['redeem'];
  job?: { id: string; version: number };
}

export class DurableObjectBackend implements HubBackend {
  readonly #namespace: DurableObjectNamespace<UserHub>;
  readonly #observer: HubObserver;

  constructor(namespace: DurableObjectNamespace<UserHub>, observer: HubObserver = SILENT_OBSERVER) {
    this.#namespace = namespace;
    this.#observer = observer;
  }

  #actor(userId: string) {
    return this.#namespace.getByName(userId);
  }

  /** Upgrades to the user's actor; the actor answers 101 or a JSON error. */
  #upgrade(upgrade: Upgrade): Promise<Response> {
    const headers = new Headers({ Upgrade: 'websocket', [STREAM_HEADERS.transport]: upgrade.transport });
    if (upgrade.after !== undefined) headers.set(STREAM_HEADERS.after, String(upgrade.after));
    if (upgrade.redeem) {
      headers.set(STREAM_HEADERS.ticketNonce, upgrade.redeem.nonce);
      headers.set(STREAM_HEADERS.ticketExp, String(upgrade.redeem.exp));
    }
    if (upgrade.job) {
      headers.set(STREAM_HEADERS.jobId, upgrade.job.id);
      headers.set(STREAM_HEADERS.jobVersion, String(upgrade.job.version));
    }
    return this.#actor(upgrade.userId).fetch('https://user-hub/stream', { headers });
  }

  publish: HubBackend['publish'] = async (userId, input) => {
    const result = unwrap(await this.#actor(userId).publish(input));
    this.#observer.published({ userId, eventId: result.id, delivered: result.delivered, duplicate: result.duplicate === true });
    return result;
  };

  openWebSocket: HubBackend['openWebSocket'] = async (open) => {
    const response = await this.#upgrade({ ...open, transport: 'websocket' });
    if (response.status !== 101 || !response.webSocket) return response;
    this.#observer.connected('websocket', open.userId);
    const headers = open.protocol ? { 'Sec-WebSocket-Protocol': open.protocol } : undefined;
    return new Response(null, { status: 101, webSocket: response.webSocket, headers });
  };

  openSse: HubBackend['openSse'] = async (open, options) => {
    const response = await this.#upgrade({ ...open, transport: 'sse' });
    if (response.status !== 101 || !response.webSocket) return response;
    this.#observer.connected('sse', open.userId);
    return bridgeToSse(response.webSocket, options, open.request.signal);
  };

  poll: HubBackend['poll'] = (userId, after, limit) => this.#actor(userId).poll(after, limit);

  waitForEvents: HubBackend['waitForEvents'] = async (wait, after) => {
    const response = await this.#upgrade({ userId: wait.userId, transport: 'poll', after });
    if (!response.webSocket) throw await HubError.fromResponse(response);
    return withoutReady(await collectFrames(response.webSocket, wait.waitMs, wait.signal, createEventsArrived()));
  };

  updateJob: HubBackend['updateJob'] = async (userId, jobId, update, key) => {
    const result = unwrap(await this.#actor(userId).updateJob(jobId, update, key));
    const { eventId, delivered } = result;
    this.#observer.published({ userId, eventId, delivered, duplicate: result.duplicate === true, jobId });
    return result;
  };

  getJob: HubBackend['getJob'] = (userId, jobId) => this.#actor(userId).getJob(jobId);

  listJobs: HubBackend['listJobs'] = (userId, status, limit) => this.#actor(userId).listJobs(status, limit);

  waitForJob: HubBackend['waitForJob'] = async (wait, jobId, version) => {
    const response = await this.#upgrade({ userId: wait.userId, transport: 'job', job: { id: jobId, version } });
    if (!response.webSocket) throw await HubError.fromResponse(response);
    const frames = await collectFrames(response.webSocket, wait.waitMs, wait.signal, () => true);
    return frames[0] ?? null;
  };

  presence: HubBackend['presence'] = (userId) => this.#actor(userId).presence();

  stats: HubBackend['stats'] = (userId) => this.#actor(userId).stats();
}
