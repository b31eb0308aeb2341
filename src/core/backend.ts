// What the HTTP layer needs from a host: a way to reach one user's actor and to
// open a connection of it. The Cloudflare host reaches a Durable Object;
// standalone hosts an in-process actor.

import type { Hub, OpenOptions } from './actor/hub.ts';
import type { Transport } from './actor/ports.ts';
import type { HubObserver } from './observability/observer.ts';

/** The actor's side of a connection, as its sink reaches it. */
export interface ActorLink {
  /** A frame the client sent (a WebSocket's). */
  receive(message: string | ArrayBuffer): void;
  /** The connection is over (the client left, or the sink ended it): the actor forgets it. Idempotent. */
  leave(): void;
}

/**
 * A connection as the process that holds the client's request sees it: it
 * writes its transport's frames to the client (src/core/transports/ has one
 * per transport, LinkedSink their base).
 */
export interface Sink {
  readonly transport: Transport;
  /** Writes one frame, as its transport's `frame` made it in the actor's process. False once the sink has ended. */
  write(frame: string): boolean;
  /** The actor ended the connection (a code and reason), or refused to open it. Idempotent. */
  end(code: number, reason: string): void;
  /** The actor accepted the connection: what the client sends, and its leaving, go to `link`; a stream's disconnect to `observed`. */
  linked(link: ActorLink, observed?: Observed): void;
}

/** Who hears of a stream's disconnect, and for which user. */
export interface Observed {
  observer: HubObserver;
  userId: string;
}

/** What each runtime's WebSocket server gives us for one accepted socket. */
export interface ServerSocket {
  send(text: string): void;
  /** Bytes queued for this socket that the client has not taken yet (0 where the runtime does not say). */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

/** What the holder of an accepted socket does with its frames and its close. */
export interface SocketHandlers {
  onMessage(message: string | ArrayBuffer): void;
  onClose(): void;
}

/**
 * Upgrades a request with the runtime's own WebSocket server, echoing
 * `protocol` when given. `onOpen` runs once the socket is open and returns its handlers.
 */
export type WebSocketUpgrader = (
  request: Request,
  protocol: string | undefined,
  onOpen: (socket: ServerSocket) => SocketHandlers,
) => Response;

/**
 * The Hub's calls the routes make, by name: a host forwards exactly these (a
 * Durable Object through its one RPC method, a standalone host in process).
 * Adding one is a Hub method and its name here.
 */
export const ACTOR_CALLS = [
  ...['publish', 'updateJob', 'getJob', 'listJobs', 'poll', 'presence', 'stats', 'endSessions', 'erase', 'admit'],
  ...['notify', 'getNotification', 'listInbox', 'changeInbox', 'acknowledge', 'subscribePush', 'unsubscribePush'],
] as const satisfies readonly (keyof Hub)[];

export type ActorCall = (typeof ACTOR_CALLS)[number];

export const isActorCall = (name: unknown): name is ActorCall => (ACTOR_CALLS as readonly unknown[]).includes(name);

/** One user's actor as the routes reach it: the Hub's calls (ACTOR_CALLS), each answered asynchronously. */
export type UserActor = { [K in ActorCall]: (...args: Parameters<Hub[K]>) => Promise<Awaited<ReturnType<Hub[K]>>> };

/** Runs one of ACTOR_CALLS on a Hub. */
export const callHub = (hub: Hub, name: ActorCall, args: unknown[]): Promise<unknown> =>
  (hub[name] as (...args: unknown[]) => Promise<unknown>).apply(hub, args);

type Invoke = (name: ActorCall, args: unknown[]) => Promise<unknown>;

// One prototype for every UserActor: a route's call costs an object, not a closure per call name.
const ACTOR_PROTOTYPE = Object.fromEntries(
  ACTOR_CALLS.map((name) => [name, function (this: { invoke: Invoke }, ...args: unknown[]) { return this.invoke(name, args); }]),
);

/** A UserActor whose every call goes through `invoke`. */
export const actorVia = (invoke: Invoke): UserActor => Object.assign(Object.create(ACTOR_PROTOTYPE), { invoke }) as UserActor;

/**
 * What a host gives the HTTP layer: the user's actor, one way to open any
 * connection, and the runtime's WebSocket upgrade. Every transport
 * (src/core/transports/) is built on these three.
 */
export interface HubBackend {
  actor(userId: string): UserActor;
  /**
   * Opens a connection of the user's actor that writes to `sink`: the cap, the
   * ticket, the replay (OpenOptions), the same on every host. Resolves with
   * the link back to the actor once it is accepted; rejects with its refusal.
   */
  open(userId: string, sink: Sink, options: OpenOptions): Promise<ActorLink>;
  upgrade: WebSocketUpgrader;
}
