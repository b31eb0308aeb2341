// The Durable Object that is one user's actor. It only turns RPC calls, the
// internal stream upgrade and the webSocket* / alarm handlers into calls on
// the runtime-free Hub.

import { DurableObject } from 'cloudflare:workers';
import { readLimits, readPush, readReceipts, type Env } from '../core/config.ts';
import { createPushSender } from '../core/push-sender.ts';
import { createReceiptSender } from '../core/receipt-sender.ts';
import { readTicket } from '../core/auth/tickets.ts';
import { badRequest, attempt, HubError, type Outcome } from '../core/errors.ts';
import { Hub } from '../core/actor/hub.ts';
import { callHub, isActorCall, type ActorCall } from '../core/backend.ts';
import { log, parseLogLevel, setLogLevel } from '../core/observability/log.ts';
import { createLoggingObserver, type HubObserver } from '../core/observability/observer.ts';
import { createAnalyticsRecorder } from './analytics.ts';
import { HibernatingConnection, HibernatingConnectionSet } from './hibernating-connections.ts';
import { migrate } from '../core/actor/schema.ts';
import { TRANSPORTS, type Transport } from '../core/actor/ports.ts';
import { createDurableSqlStore, type RowCounts } from './sql-store.ts';
import { OPEN_HEADER, type Opening } from './opening.ts';
import { decode } from '../core/json.ts';

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
  /** Push attempts are seen here; the Worker reports connects and disconnects, where it holds the connections. */
  readonly #observer: HubObserver;
  readonly #usage: Usage = { rpc: 0, fetches: 0, webSocketMessages: 0, alarms: 0, rowsRead: 0, rowsWritten: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const limits = readLimits(env);
    this.#connections = new HibernatingConnectionSet(ctx);
    setLogLevel(parseLogLevel(env.LOG_LEVEL));
    this.#observer = createLoggingObserver(createAnalyticsRecorder(env));
    const sql = createDurableSqlStore(ctx.storage, this.#usage);
    // Every call of the actor waits for the migration (HubOptions.ready).
    const ready = migrate(sql);
    ready.catch((err: unknown) => log.error('migration_failed', { error: String(err) }));
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
      ready,
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

  /**
   * The Worker's one RPC: a call of this user's actor by name (ACTOR_CALLS),
   * its refusal returned as a value (a class does not cross the boundary).
   */
  call<K extends ActorCall>(name: K, args: Parameters<Hub[K]>): Promise<Outcome<Awaited<ReturnType<Hub[K]>>>> {
    this.#usage.rpc++;
    return attempt(async (): Promise<Awaited<ReturnType<Hub[K]>>> => {
      if (!isActorCall(name) || !Array.isArray(args)) throw badRequest('Not a call of the actor.');
      return (await callHub(this.#hub, name, args)) as Awaited<ReturnType<Hub[K]>>;
    });
  }

  /** What this object was invoked for since it started (not itself counted; for tests and the cost model). */
  usage(): Usage {
    return { ...this.#usage };
  }

  /** Live connections by transport, and requests held open here (for tests). */
  connections(): Record<Transport, number> & { openRequests: number } {
    const counts = Object.fromEntries(TRANSPORTS.map((transport) => [transport, this.#connections.count(transport)])) as Record<Transport, number>;
    return { ...counts, openRequests: this.#openRequests };
  }

  /**
   * Internal: the Worker upgrades here for every transport. The Worker holds
   * the client's WebSocket, SSE stream or long poll, and this socket is its
   * bridge, accepted with the hibernation API so an idle client keeps nothing
   * awake.
   */
  override async fetch(request: Request): Promise<Response> {
    this.#usage.fetches++;
    this.#openRequests++;
    try {
      const { transport, ...options } = decode<Opening>(request.headers.get(OPEN_HEADER) ?? '{}');
      const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
      await this.#hub.open(new HibernatingConnection(server, transport), options);
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
    // Complete the closing handshake; harmless if the runtime already did.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  override async alarm(): Promise<void> {
    this.#usage.alarms++;
    const { sent } = await this.#hub.wake(Date.now(), true);
    await sent;
  }
}
