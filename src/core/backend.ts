// What the HTTP layer needs from a host: a way to reach one user's actor.
// The Cloudflare host reaches a Durable Object; standalone hosts an in-process actor.

import type { Credential } from './auth/client-token.ts';
import type { Ended, Erased, InboxListing, JobUpdateResult, NotifyInput, PollResult, PublishInput, PublishResult } from './actor/hub.ts';
import type { InboxTarget } from './actor/inbox.ts';
import type { PushSubscriptionRecord } from './actor/push.ts';
import type { IdempotencyKey } from './actor/dedupe.ts';
import type { JobUpdate } from './actor/jobs.ts';
import type { InboxAction, InboxChangeResult, InboxStatus, JobStatus, Presence, UserStats } from '../protocol/wire.ts';

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
 * One user's actor as the routes reach it: the same calls on every host (a
 * Durable Object's RPC methods, or the in-process Hub).
 */
export interface UserActor {
  publish(input: PublishInput): Promise<PublishResult>;
  updateJob(jobId: string, update: JobUpdate, key: IdempotencyKey): Promise<JobUpdateResult>;
  /** A job's JSON; with a client's credential, refused (401) when it is revoked. */
  getJob(jobId: string, credential?: Credential): Promise<string | null>;
  listJobs(status: JobStatus | undefined, limit: number, credential?: Credential): Promise<string[]>;
  /** A short poll: events after `after`, at most `limit`. */
  poll(after: number | undefined, limit: number, credential?: Credential): Promise<PollResult>;
  presence(): Promise<Presence>;
  stats(): Promise<UserStats>;
  /** Closes every connection with 4503; with `revoke`, refuses every credential issued before now. */
  endSessions(revoke: boolean, key: IdempotencyKey): Promise<Ended>;
  /** Ends every connection and deletes everything the actor holds for the user. */
  erase(key: IdempotencyKey): Promise<Erased>;
  /** Stores an inbox item and announces it (`inbox.created`). */
  notify(input: NotifyInput): Promise<PublishResult>;
  /** One inbox item's JSON, or null. */
  getNotification(id: number): Promise<string | null>;
  listInbox(status: InboxStatus, before: number | undefined, limit: number, credential?: Credential): Promise<InboxListing>;
  changeInbox(action: InboxAction, target: InboxTarget, credential?: Credential): Promise<InboxChangeResult>;
  /** A client without a WebSocket has every event up to `through`. */
  acknowledge(through: number, credential?: Credential): Promise<{ acknowledged: number }>;
  /** Stores this browser's Web Push subscription (501 without VAPID keys). */
  subscribePush(subscription: PushSubscriptionRecord, credential?: Credential): Promise<{ subscriptions: number }>;
  unsubscribePush(endpoint: string, credential?: Credential): Promise<{ removed: boolean }>;
}

/** A job long poll's answer. */
export interface JobWaitResult {
  /** The job's JSON, or null when there is no such job. */
  job: string | null;
  /** True when the job changed past the version the poll had seen. */
  changed: boolean;
}

/** A long poll's answer: what a short poll would say, and whether the wait ran out with nothing. */
export interface WaitResult extends PollResult {
  timedOut: boolean;
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
