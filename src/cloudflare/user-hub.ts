// The Durable Object that is one user's actor. It only turns RPC calls, the
// internal stream upgrade and the webSocket* / alarm handlers into calls on
// the runtime-free Hub.

import { DurableObject } from 'cloudflare:workers';
import { readLimits, readPush, readReceipts, type Env } from '../core/config.ts';
import { createPushSender } from '../core/push-sender.ts';
import { createReceiptSender } from '../core/receipt-sender.ts';
import type { PushSubscriptionRecord } from '../core/actor/push.ts';
import type { Credential } from '../core/auth/client-token.ts';
import { readTicket } from '../core/auth/tickets.ts';
import { attempt, HubError, type Outcome } from '../core/errors.ts';
import {
  Hub,
  type Ended,
  type Erased,
  type InboxListing,
  type JobUpdateResult,
  type NotifyInput,
  type PollResult,
  type PublishInput,
  type PublishResult,
} from '../core/actor/hub.ts';
import type { IdempotencyKey } from '../core/actor/dedupe.ts';
import type { JobUpdate } from '../core/actor/jobs.ts';
import type { InboxTarget } from '../core/actor/inbox.ts';
import type { Transport } from '../core/actor/ports.ts';
import { parseLogLevel, setLogLevel } from '../core/observability/log.ts';
import { createLoggingObserver, type HubObserver } from '../core/observability/observer.ts';
import type { InboxAction, InboxChangeResult, InboxStatus, JobStatus, Presence, UserStats } from '../protocol/wire.ts';
import { createAnalyticsRecorder } from './analytics.ts';
import { HibernatingConnection, HibernatingConnectionSet } from './hibernating-connections.ts';
import { migrate } from '../core/actor/schema.ts';
import { createDurableSqlStore, type RowCounts } from './sql-store.ts';
import { STREAM_HEADERS } from './stream-headers.ts';

/**
 * What this object was invoked for and the rows it touched since it started:
 * what Cloudflare bills a Durable Object for (requests: RPC calls, fetches,
 * alarms and incoming WebSocket messages at 20:1; SQLite rows read and
 * written). Counted here so the cost model in docs/benchmarks.md is measured,
 * not assumed (test/workers/usage.test.ts).
 */
export interface Usage extends RowCounts {
  rpc: number;
  fetches: number;
  webSocketMessages: number;
  alarms: number;
}

export class UserHub extends DurableObject<Env> {
  readonly #connections: HibernatingConnectionSet;
  readonly #hub: Hub;
  /** Requests currently inside fetch(): an SSE client must not keep one open here. */
  #openRequests = 0;
  /** Disconnects are seen here, where sockets close; the Worker reports the rest. */
  readonly #observer: HubObserver;
  readonly #usage: Usage = { rpc: 0, fetches: 0, webSocketMessages: 0, alarms: 0, rowsRead: 0, rowsWritten: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const limits = readLimits(env);
    this.#connections = new HibernatingConnectionSet(ctx);
    setLogLevel(parseLogLevel(env.LOG_LEVEL));
    this.#observer = createLoggingObserver(createAnalyticsRecorder(env));
    const sql = createDurableSqlStore(ctx.storage, this.#usage);
    migrate(sql);
    // The object's one alarm, kept at the earliest time the actor asked for. Not
    // awaited: storage writes reach disk before any answer leaves (output gate).
    // https://developers.cloudflare.com/durable-objects/api/alarms/
    const alarm = {
      set: (at: number | null) => void (at === null ? ctx.storage.deleteAlarm() : ctx.storage.setAlarm(at)),
    };
    const secret = String(env.JWT_SECRET ?? '');
    const receipts = readReceipts(env);
    const push = readPush(env);
    this.#hub = new Hub(sql, this.#connections, limits, {
      alarm,
      readTicket: (ticket) => readTicket(secret, ticket),
      // The object's name is the user id (getByName): receipts name the user.
      receipts: receipts ? { userId: ctx.id.name ?? '', send: createReceiptSender(receipts), retrySeconds: receipts.retrySeconds } : undefined,
      push: push ? createPushSender(push) : undefined,
      onPush: (attempt) => this.#observer.pushed({ ...attempt, userId: ctx.id.name ?? '' }),
    });
    // Pings are answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  publish(input: PublishInput): Outcome<PublishResult> {
    this.#usage.rpc++;
    return attempt(() => this.#hub.publish(input));
  }

  updateJob(jobId: string, update: JobUpdate, key: IdempotencyKey): Outcome<JobUpdateResult> {
    this.#usage.rpc++;
    return attempt(() => this.#hub.updateJob(jobId, update, key));
  }

  getJob(jobId: string, credential?: Credential): Outcome<string | null> {
    this.#usage.rpc++;
    return attempt(() => this.#hub.getJob(jobId, credential));
  }

  listJobs(status: JobStatus | undefined, limit: number, credential?: Credential): Outcome<string[]> {
    this.#usage.rpc++;
    return attempt(() => this.#hub.listJobs(status, limit, credential));
  }

  poll(after: number | undefined, limit: number, credential?: Credential): Outcome<PollResult> {
    this.#usage.rpc++;
    return attempt(() => this.#hub.poll(after, limit, credential));
  }

  endSessions(revoke: boolean, key: IdempotencyKey): Ended {
    this.#usage.rpc++;
    return this.#hub.endSessions({ revoke }, key);
  }

  erase(key: IdempotencyKey): Erased {
    this.#usage.rpc++;
    return this.#hub.erase(key);
  }

  notify(input: NotifyInput): Outcome<PublishResult> {
    this.#usage.rpc++;
    return attempt(() => this.#hub.notify(input));
  }

  getNotification(id: number): string | null {
    this.#usage.rpc++;
    return this.#hub.getNotification(id);
  }

  listInbox(status: InboxStatus, before: number | undefined, limit: number, credential?: Credential): Outcome<InboxListing> {
    this.#usage.rpc++;
    return attempt(() => this.#hub.listInbox(status, before, limit, credential));
  }

  changeInbox(action: InboxAction, target: InboxTarget, credential?: Credential): Outcome<InboxChangeResult> {
    this.#usage.rpc++;
    return attempt(() => this.#hub.changeInbox(action, target, credential));
  }

  acknowledge(through: number, credential?: Credential): Outcome<{ acknowledged: number }> {
    this.#usage.rpc++;
    return attempt(() => this.#hub.acknowledge(through, credential));
  }

  subscribePush(subscription: PushSubscriptionRecord, credential?: Credential): Outcome<{ subscriptions: number }> {
    this.#usage.rpc++;
    return attempt(() => this.#hub.subscribePush(subscription, credential));
  }

  unsubscribePush(endpoint: string, credential?: Credential): Outcome<{ removed: boolean }> {
    this.#usage.rpc++;
    return attempt(() => this.#hub.unsubscribePush(endpoint, credential));
  }

  presence(): Presence {
    this.#usage.rpc++;
    return this.#hub.presence();
  }

  stats(): UserStats {
    this.#usage.rpc++;
    return this.#hub.stats();
  }

  /** What this object was invoked for since it started (not itself counted; for tests and the cost model). */
  usage(): Usage {
    return { ...this.#usage };
  }

  /** Live connections by transport, and requests held open here (for tests). */
  connections(): { websocket: number; sse: number; poll: number; job: number; openRequests: number } {
    const c = this.#connections;
    return {
      websocket: c.countBy('websocket'),
      sse: c.countBy('sse'),
      poll: c.countBy('poll'),
      job: c.countBy('job'),
      openRequests: this.#openRequests,
    };
  }

  /**
   * Internal: the Worker upgrades here for every transport. For SSE and long
   * polls the Worker holds the client's HTTP request and this socket is its
   * bridge, accepted with the hibernation API so an idle client keeps nothing
   * awake.
   */
  override async fetch(request: Request): Promise<Response> {
    this.#usage.fetches++;
    this.#openRequests++;
    try {
      const headers = request.headers;
      const after = headers.get(STREAM_HEADERS.after);
      const limit = headers.get(STREAM_HEADERS.limit);
      const nonce = headers.get(STREAM_HEADERS.ticketNonce);
      const jobId = headers.get(STREAM_HEADERS.jobId);
      const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
      const connection = new HibernatingConnection(server, headers.get(STREAM_HEADERS.transport) as Transport);
      this.#hub.open(connection, {
        after: after === null ? undefined : Number(after),
        replayLimit: limit === null ? undefined : Number(limit),
        redeem: nonce ? { nonce, exp: Number(headers.get(STREAM_HEADERS.ticketExp)) } : undefined,
        job: jobId === null ? undefined : { id: jobId, version: optionalNumber(headers.get(STREAM_HEADERS.jobVersion)) },
        credential: {
          userId: headers.get(STREAM_HEADERS.credentialUser) ?? '',
          expiresAt: Number(headers.get(STREAM_HEADERS.credentialExp)),
          issuedAt: Number(headers.get(STREAM_HEADERS.credentialIat)),
        },
      });
      return new Response(null, { status: 101, webSocket: client });
    } catch (err) {
      if (err instanceof HubError) return err.toResponse();
      throw err;
    } finally {
      this.#openRequests--;
    }
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    this.#usage.webSocketMessages++;
    return this.#hub.receive(this.#connections.wrap(ws), message);
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    const { transport } = this.#connections.wrap(ws);
    if (transport === 'websocket' || transport === 'sse') this.#observer.disconnected(transport, this.ctx.id.name ?? '');
    // Complete the closing handshake; harmless if the runtime already did.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  override async alarm(): Promise<void> {
    this.#usage.alarms++;
    await this.#hub.wake(Date.now(), true);
  }
}

const optionalNumber = (header: string | null): number | undefined => (header === null ? undefined : Number(header));
