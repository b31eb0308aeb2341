// The Durable Object that is one user's actor. It only turns RPC calls, the
// internal stream upgrade and the webSocket* / alarm handlers into calls on
// the runtime-free Hub.

import { DurableObject } from 'cloudflare:workers';
import { readLimits, type Env } from '../core/config.ts';
import { attempt, HubError, unauthorized, type Outcome } from '../core/errors.ts';
import {
  Hub,
  type JobUpdateResult,
  type PollResult,
  type PublishInput,
  type PublishResult,
} from '../core/actor/hub.ts';
import type { JobUpdate } from '../core/actor/jobs.ts';
import type { Transport } from '../core/actor/ports.ts';
import { parseLogLevel, setLogLevel } from '../core/observability/log.ts';
import { createLoggingObserver, type HubObserver } from '../core/observability/observer.ts';
import type { JobStatus, Presence, UserStats } from '../protocol/wire.ts';
import { createAnalyticsRecorder } from './analytics.ts';
import { HibernatingConnectionSet } from './hibernating-connections.ts';
import { createDurableSqlStore } from './sql-store.ts';
import { STREAM_HEADERS } from './stream-headers.ts';

export class UserHub extends DurableObject<Env> {
  readonly #connections: HibernatingConnectionSet;
  readonly #hub: Hub;
  readonly #pruneDelayMs: number;
  /** Cached alarm time; undefined until read after a wake-up. */
  #alarmAt: number | null | undefined;
  /** Requests currently inside fetch(): an SSE client must not keep one open here. */
  #openRequests = 0;
  /** Disconnects are seen here, where sockets close; the Worker reports the rest. */
  readonly #observer: HubObserver;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const limits = readLimits(env);
    this.#pruneDelayMs = limits.pruneDelaySeconds * 1000;
    this.#connections = new HibernatingConnectionSet(ctx);
    setLogLevel(parseLogLevel(env.LOG_LEVEL));
    this.#observer = createLoggingObserver(createAnalyticsRecorder(env));
    this.#hub = new Hub(createDurableSqlStore(ctx.storage), this.#connections, limits);
    // Pings are answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  async publish(input: PublishInput): Promise<Outcome<PublishResult>> {
    const outcome = attempt(() => this.#hub.publish(input));
    if (outcome.ok && !outcome.value.duplicate) await this.#schedulePrune();
    return outcome;
  }

  async updateJob(jobId: string, update: JobUpdate, webhookId: string): Promise<Outcome<JobUpdateResult>> {
    const outcome = attempt(() => this.#hub.updateJob(jobId, update, webhookId));
    if (outcome.ok && outcome.value.eventId !== null && !outcome.value.duplicate) await this.#schedulePrune();
    return outcome;
  }

  getJob(jobId: string): string | null {
    return this.#hub.getJob(jobId);
  }

  listJobs(status: JobStatus | undefined, limit: number): string[] {
    return this.#hub.listJobs(status, limit);
  }

  poll(after: number | undefined, limit: number): PollResult {
    return this.#hub.poll(after, limit);
  }

  presence(): Presence {
    return this.#hub.presence();
  }

  stats(): UserStats {
    return this.#hub.stats();
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
    this.#openRequests++;
    try {
      const headers = request.headers;
      const transport = headers.get(STREAM_HEADERS.transport) as Transport;
      const afterHeader = headers.get(STREAM_HEADERS.after);
      const nonce = headers.get(STREAM_HEADERS.ticketNonce);
      this.#hub.assertCapacity();
      if (nonce && !this.#hub.redeemTicket(nonce, Number(headers.get(STREAM_HEADERS.ticketExp)))) {
        throw unauthorized();
      }
      const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
      if (transport === 'job') {
        const jobId = headers.get(STREAM_HEADERS.jobId)!;
        const connection = this.#connections.accept(server, 'job', jobId);
        this.#hub.watchJob(connection, jobId, Number(headers.get(STREAM_HEADERS.jobVersion)));
      } else {
        const connection = this.#connections.accept(server, transport);
        this.#hub.resume(connection, afterHeader === null ? undefined : Number(afterHeader));
      }
      return new Response(null, { status: 101, webSocket: client });
    } catch (err) {
      if (err instanceof HubError) return err.toResponse();
      throw err;
    } finally {
      this.#openRequests--;
    }
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    this.#hub.receive(this.#connections.wrap(ws), message);
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
    const next = this.#hub.prune();
    this.#alarmAt = null;
    if (next !== null) await this.#setAlarm(Math.max(next, Date.now() + this.#pruneDelayMs));
  }

  /**
   * Makes sure the alarm fires within the prune delay of a write, so the count
   * limit holds even when the next age-based prune is days away. At most one
   * setAlarm per prune period: later writes find it already near.
   */
  async #schedulePrune(): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    const at = Date.now() + this.#pruneDelayMs;
    if (this.#alarmAt === null || this.#alarmAt > at) await this.#setAlarm(at);
  }

  async #setAlarm(at: number): Promise<void> {
    this.#alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}
