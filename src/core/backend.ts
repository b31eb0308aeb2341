// What the HTTP layer needs from a host: a way to reach one user's actor.
// The Cloudflare host reaches a Durable Object; standalone hosts an in-process actor.

import type { JobUpdateResult, PollResult, PublishInput, PublishResult } from './actor/hub.ts';
import type { IdempotencyKey } from './actor/dedupe.ts';
import type { JobUpdate } from './actor/jobs.ts';
import type { JobStatus, Presence, UserStats } from '../protocol/wire.ts';

export interface StreamOpen {
  userId: string;
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
  waitMs: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

export interface HubBackend {
  publish(userId: string, input: PublishInput): Promise<PublishResult>;
  openWebSocket(open: StreamOpen): Promise<Response>;
  openSse(open: StreamOpen, options: SseOptions): Promise<Response>;

  poll(userId: string, after: number | undefined, limit: number): Promise<PollResult>;
  /** Waits for events after `after`; an empty frame list when the wait ran out. */
  waitForEvents(wait: Wait, after: number): Promise<string[]>;

  updateJob(userId: string, jobId: string, update: JobUpdate, key: IdempotencyKey): Promise<JobUpdateResult>;
  getJob(userId: string, jobId: string): Promise<string | null>;
  listJobs(userId: string, status: JobStatus | undefined, limit: number): Promise<string[]>;
  /** Waits for the job's version to pass `version`: its JSON, or null when the wait ran out. */
  waitForJob(wait: Wait, jobId: string, version: number): Promise<string | null>;

  presence(userId: string): Promise<Presence>;
  stats(userId: string): Promise<UserStats>;
}
