// What the HTTP layer needs from a host: a way to reach one user's actor.
// The Cloudflare host reaches a Durable Object; standalone hosts an in-process actor.

import type { Credential } from './auth/client-token.ts';
import type { Hub, PollResult } from './actor/hub.ts';
import type { ClosedInfo } from '../protocol/wire.ts';
import type { JsonText } from './json.ts';

export interface StreamOpen {
  userId: string;
  /** The credential it opened with: its session ends the stream (4401); a revoked one is refused. */
  credential: Credential;
  /** Resume point: deliver retained events after this id first. */
  after: number | undefined;
  /** A ticket to spend atomically with the open; refused if spent before. */
  redeem?: { nonce: string; exp: number };
  /** The subprotocol to echo, when the client offered it. */
  protocol?: string;
  /** The original request (the WebSocket upgrade, on hosts that need it). */
  request: Request;
}

export interface SseOptions {
  heartbeatMs: number;
  retryMs: number;
  /** End the stream after this long; 0 for never. */
  maxStreamMs: number;
  headers: Record<string, string>;
}

/** A parked long poll: released by the first matching change, the timeout, or the client leaving. */
export interface Wait {
  userId: string;
  /** The poll's token, refused when revoked. */
  credential: Credential;
  waitMs: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

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

/** A job long poll's answer. */
export interface JobWaitResult {
  /** The job's JSON, or null when there is no such job. */
  job: JsonText | null;
  /** True when the job changed past the version the poll had seen. */
  changed: boolean;
  /** The service ended the session while the poll waited (a kick, a revoke, an erase). */
  ended?: ClosedInfo;
}

/** A long poll's answer: what a short poll would say, and whether the wait ran out with nothing. */
export interface WaitResult extends PollResult {
  timedOut: boolean;
  /** The service ended the session while the poll waited (a kick, a revoke, an erase). */
  ended?: ClosedInfo;
}

/** What a host gives the HTTP layer: the user's actor, and the three ways a connection is held open. */
export interface HubBackend {
  actor(userId: string): UserActor;
  openWebSocket(open: StreamOpen): Promise<Response>;
  openSse(open: StreamOpen, options: SseOptions): Promise<Response>;
  /**
   * One call to the actor that answers at once when events after `after` are
   * retained (or a reset is due), else parks until the next event or the end of the wait.
   */
  waitForEvents(wait: Wait, after: number | undefined, limit: number): Promise<WaitResult>;
  /**
   * One call to the actor: the job once its version passes `version` (absent:
   * its current one), or, when the wait runs out, the job as it stands (null: no such job).
   */
  waitForJob(wait: Wait, jobId: string, version: number | undefined): Promise<JobWaitResult>;
}
