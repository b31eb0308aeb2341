// The Durable Object that is one user's actor. It only turns RPC calls, the
// internal stream upgrade and the webSocket* / alarm handlers into calls on
// the runtime-free Hub.

import { DurableObject } from 'cloudflare:workers';
import { readLimits, type Env } from '../core/config.ts';
import { HubError, unauthorized } from '../core/errors.ts';
import { Hub, type PublishInput, type PublishResult } from '../core/actor/hub.ts';
import type { StreamTransport } from '../core/actor/ports.ts';
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

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const limits = readLimits(env);
    this.#pruneDelayMs = limits.pruneDelaySeconds * 1000;
    this.#connections = new HibernatingConnectionSet(ctx);
    this.#hub = new Hub(createDurableSqlStore(ctx.storage.sql), this.#connections, limits);
    // Pings are answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  async publish(input: PublishInput): Promise<PublishResult> {
    const result = this.#hub.publish(input);
    if (!result.duplicate) await this.#schedulePrune();
    return result;
  }

  /** Live connections by transport (for presence and tests). */
  connections(): { websocket: number; sse: number; openRequests: number } {
    return {
      websocket: this.#connections.countBy('websocket'),
      sse: this.#connections.countBy('sse'),
      openRequests: this.#openRequests,
    };
  }

  /**
   * Internal: the Worker upgrades here for both transports. For SSE the Worker
   * holds the HTTP stream and this socket is its bridge, accepted with the
   * hibernation API so an idle SSE client keeps nothing awake.
   */
  override async fetch(request: Request): Promise<Response> {
    this.#openRequests++;
    try {
      const transport = request.headers.get(STREAM_HEADERS.transport) as StreamTransport;
      const afterHeader = request.headers.get(STREAM_HEADERS.after);
      const nonce = request.headers.get(STREAM_HEADERS.ticketNonce);
      this.#hub.assertCapacity();
      if (nonce && !this.#hub.redeemTicket(nonce, Number(request.headers.get(STREAM_HEADERS.ticketExp)))) {
        throw unauthorized();
      }
      const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
      const connection = this.#connections.accept(server, transport === 'sse' ? 'sse' : 'websocket');
      this.#hub.resume(connection, afterHeader === null ? undefined : Number(afterHeader));
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

  async #schedulePrune(): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt === null) await this.#setAlarm(Date.now() + this.#pruneDelayMs);
  }

  async #setAlarm(at: number): Promise<void> {
    this.#alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}
