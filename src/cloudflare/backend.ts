// HubBackend on Durable Objects: each user id names one UserHub, reached with
// getByName wherever the request arrives. Nothing is ever broadcast.

import type { HubBackend, StreamOpen, UserActor } from '../core/backend.ts';
import type { Transport } from '../core/actor/ports.ts';
import type { Credential } from '../core/auth/client-token.ts';
import { HubError, unwrap } from '../core/errors.ts';
import { SILENT_OBSERVER, type HubObserver } from '../core/observability/observer.ts';
import { bridgeToSse } from './sse-bridge.ts';
import { STREAM_HEADERS } from './stream-headers.ts';
import type { UserHub } from './user-hub.ts';
import { collectJobAnswer, collectPollAnswer } from './wait-bridge.ts';

interface Upgrade {
  userId: string;
  credential: Credential;
  transport: Transport;
  after?: number;
  limit?: number;
  redeem?: StreamOpen['redeem'];
  job?: { id: string; version?: number };
}

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
    return {
      publish: async (input) => unwrap(await stub.publish(input)),
      updateJob: async (jobId, update, key) => unwrap(await stub.updateJob(jobId, update, key)),
      getJob: async (jobId, credential) => unwrap(await stub.getJob(jobId, credential)),
      listJobs: async (status, limit, credential) => unwrap(await stub.listJobs(status, limit, credential)),
      poll: async (after, limit, credential) => unwrap(await stub.poll(after, limit, credential)),
      presence: () => stub.presence(),
      stats: () => stub.stats(),
      endSessions: (revoke, key) => stub.endSessions(revoke, key),
      erase: (key) => stub.erase(key),
      notify: async (input) => unwrap(await stub.notify(input)),
      getNotification: (id) => stub.getNotification(id),
      listInbox: async (status, before, limit, credential) => unwrap(await stub.listInbox(status, before, limit, credential)),
      changeInbox: async (action, target, credential) => unwrap(await stub.changeInbox(action, target, credential)),
      acknowledge: async (through, credential) => unwrap(await stub.acknowledge(through, credential)),
      subscribePush: async (subscription, credential) => unwrap(await stub.subscribePush(subscription, credential)),
      unsubscribePush: async (endpoint, credential) => unwrap(await stub.unsubscribePush(endpoint, credential)),
    };
  }

  async openWebSocket(open: StreamOpen): Promise<Response> {
    const response = await this.#upgrade({ ...open, transport: 'websocket' });
    if (response.status !== 101 || !response.webSocket) return response;
    this.#observer.connected('websocket', open.userId);
    const headers = open.protocol ? { 'Sec-WebSocket-Protocol': open.protocol } : undefined;
    return new Response(null, { status: 101, webSocket: response.webSocket, headers });
  }

  async openSse(open: StreamOpen, options: Parameters<HubBackend['openSse']>[1]): Promise<Response> {
    const response = await this.#upgrade({ ...open, transport: 'sse' });
    if (response.status !== 101 || !response.webSocket) return response;
    this.#observer.connected('sse', open.userId);
    return bridgeToSse(response.webSocket, options, open.request.signal);
  }

  async waitForEvents(wait: Parameters<HubBackend['waitForEvents']>[0], after: number | undefined, limit: number) {
    const response = await this.#upgrade({ userId: wait.userId, credential: wait.credential, transport: 'poll', after, limit });
    if (!response.webSocket) throw await HubError.fromResponse(response);
    return collectPollAnswer(response.webSocket, wait, limit);
  }

  async waitForJob(wait: Parameters<HubBackend['waitForJob']>[0], jobId: string, version: number | undefined) {
    const response = await this.#upgrade({ userId: wait.userId, credential: wait.credential, transport: 'job', job: { id: jobId, version } });
    if (!response.webSocket) throw await HubError.fromResponse(response);
    return collectJobAnswer(response.webSocket, wait);
  }

  /** Upgrades to the user's actor; the actor answers 101 or a JSON error. */
  #upgrade(upgrade: Upgrade): Promise<Response> {
    const { credential } = upgrade;
    const headers = new Headers({
      Upgrade: 'websocket',
      [STREAM_HEADERS.transport]: upgrade.transport,
      [STREAM_HEADERS.credentialUser]: credential.userId,
      [STREAM_HEADERS.credentialExp]: String(credential.expiresAt),
      [STREAM_HEADERS.credentialIat]: String(credential.issuedAt),
    });
    if (upgrade.after !== undefined) headers.set(STREAM_HEADERS.after, String(upgrade.after));
    if (upgrade.limit !== undefined) headers.set(STREAM_HEADERS.limit, String(upgrade.limit));
    if (upgrade.redeem) {
      headers.set(STREAM_HEADERS.ticketNonce, upgrade.redeem.nonce);
      headers.set(STREAM_HEADERS.ticketExp, String(upgrade.redeem.exp));
    }
    if (upgrade.job) {
      headers.set(STREAM_HEADERS.jobId, upgrade.job.id);
      if (upgrade.job.version !== undefined) headers.set(STREAM_HEADERS.jobVersion, String(upgrade.job.version));
    }
    return this.#namespace.getByName(upgrade.userId).fetch('https://user-hub/stream', { headers });
  }
}
