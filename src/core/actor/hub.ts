// One user's actor as the hosts and routes reach it: the kernel (kernel.ts)
// with every feature plugged in (src/core/features/), and each feature's calls
// as methods. What a route may call by name is ACTOR_CALLS (core/backend.ts).
//
// Adding a feature: a module under src/core/features/ (its Feature hooks and
// its calls), its entry in FEATURES, its calls here and in ACTOR_CALLS, its
// tables in schema.ts. The kernel does not change.

import type { Credential } from '../auth/client-token.ts';
import type { JsonText } from '../json.ts';
import type { Limits } from '../config.ts';
import { CLIENT_TRANSPORTS, CloseCode, type InboxAction, type InboxChangeResult, type InboxStatus, type JobStatus, type Presence, type PublishResult, type UserStats } from '../../protocol/wire.ts';
import { changeInbox, getNotification, inbox, listInbox, notify, acknowledge, type InboxListing, type NotifyInput } from '../features/inbox.ts';
import { publish, type PublishInput } from '../features/events.ts';
import { getJob, jobs, listJobs, updateJob, type JobUpdateResult } from '../features/jobs.ts';
import { push, subscribePush, unsubscribePush } from '../features/push.ts';
import { receipts } from '../features/receipts.ts';
import { sessions } from '../features/sessions.ts';
import type { IdempotencyKey } from './dedupe.ts';
import type { Feature } from './feature.ts';
import type { InboxTarget } from './inbox.ts';
import type { JobUpdate } from './jobs.ts';
import { closeHere, endSessions, erase } from './ending.ts';
import { JobMessage, OutgoingEvent, type EventRow } from './frames.ts';
import { Kernel } from './kernel.ts';
import { inTurn } from './turns.ts';
import { connectedEverywhere } from './relay.ts';
import type { Ended, HubOptions } from './options.ts';
import { jobTag, type ConnectionSet, type SqlStore } from './ports.ts';
import type { PushSubscriptionRecord } from './push.ts';

export type { Ended, HubOptions, OpenOptions, Peers, TicketReader } from './options.ts';
export type { PollResult } from './replay.ts';
import { poll, type PollResult } from './replay.ts';
export type { InboxListing, NotifyInput } from '../features/inbox.ts';
export type { JobUpdateResult } from '../features/jobs.ts';
export type { PublishInput } from '../features/events.ts';

/** What an erasure removed. */
export interface Erased extends Ended {
  events: number;
  jobs: number;
  notifications: number;
}

/** Every feature, in the order their hooks run (a stream's session starts before a job poll is answered; stats list jobs before the inbox). */
export const FEATURES: readonly Feature<Kernel>[] = [sessions, jobs, inbox, receipts, push];

export class Hub extends Kernel {
  /** The store is migrated first (migrate(), once per store; `options.ready` says when). */
  constructor(sql: SqlStore, connections: ConnectionSet, limits: Limits, options: HubOptions = {}) {
    super(sql, connections, limits, options, FEATURES);
  }

  publish(input: PublishInput, now = Date.now()): Promise<PublishResult> {
    return this.run(() => publish(this, input, now));
  }

  notify(input: NotifyInput, now = Date.now()): Promise<PublishResult> {
    return this.run(() => notify(this, input, now));
  }

  getNotification(id: number): Promise<JsonText | null> {
    return this.run(() => getNotification(this, id));
  }

  listInbox(status: InboxStatus, before: number | undefined, limit: number, credential?: Credential): Promise<InboxListing> {
    return this.run(() => listInbox(this, status, before, limit, credential));
  }

  changeInbox(action: InboxAction, target: InboxTarget, credential?: Credential, now = Date.now()): Promise<InboxChangeResult> {
    return this.run(() => changeInbox(this, action, target, credential, now));
  }

  acknowledge(through: number, credential?: Credential, now = Date.now()): Promise<{ acknowledged: number }> {
    return this.run(() => acknowledge(this, through, credential, now));
  }

  subscribePush(subscription: PushSubscriptionRecord, credential?: Credential, now = Date.now()): Promise<{ subscriptions: number }> {
    return this.run(() => subscribePush(this, subscription, credential, now));
  }

  unsubscribePush(endpoint: string, credential?: Credential): Promise<{ removed: boolean }> {
    return this.run(() => unsubscribePush(this, endpoint, credential));
  }

  updateJob(jobId: string, update: JobUpdate, idempotency: IdempotencyKey, now = Date.now()): Promise<JobUpdateResult> {
    return this.run(() => updateJob(this, jobId, update, idempotency, now));
  }

  getJob(jobId: string, credential?: Credential): Promise<JsonText | null> {
    return this.run(() => getJob(this, jobId, credential));
  }

  listJobs(status: JobStatus | undefined, limit: number, credential?: Credential): Promise<JsonText[]> {
    return this.run(() => listJobs(this, status, limit, credential));
  }

  /** Throws 401 for a credential the user's revocation point refuses (POST /v1/tickets mints none for it). */
  admit(credential: Credential): Promise<void> {
    return this.run(() => this.refuseRevoked(credential));
  }

  poll(after: number | undefined, limit: number, credential?: Credential): Promise<PollResult> {
    return this.run(() => poll(this, after, limit, credential));
  }

  endSessions(options: { revoke?: boolean }, idempotency?: IdempotencyKey, now = Date.now()): Promise<Ended> {
    return this.run(() => endSessions(this, options, idempotency, now));
  }

  erase(idempotency?: IdempotencyKey, now = Date.now()): Promise<Erased> {
    return this.run(() => erase(this, idempotency, now) as Promise<Erased>);
  }

  /** An event another node committed (told through `peers`): each connection here gets it once, in order (relay.ts). */
  relay(row: EventRow): Promise<void> {
    // In turn, but without reading the actor's memory again: a relay needs only the connections and, for a gap, the log.
    return inTurn(this.sql, () => this.positions!.bringUp(this, row.id, new OutgoingEvent(row)));
  }

  /** Whether a connection here is behind the log's `lastId` (a cluster's periodic check). */
  isBehind(lastId: number): boolean {
    return this.positions?.isBehind(this, lastId) ?? false;
  }

  /** Brings every connection up to the log's last id: when a node's subscription starts, and now and then (a relayed event may be lost). */
  catchUp(): Promise<void> {
    return this.run(() => this.positions!.bringUp(this, this.log.lastId));
  }

  /** A job change another node committed: this node's job long polls on it hear it. */
  relayJob(jobId: string, json: JsonText): Promise<void> {
    return this.run(async () => this.sendLive(this.connections.tagged(jobTag(jobId)), new JobMessage(json)));
  }

  /** Closes (4503) this node's streams opened with a credential the revocation point refuses (a revoke whose message was lost). */
  closeRevoked(revokedBefore: number): Promise<void> {
    return this.run(async () => {
      for (const connection of this.connections.tagged()) {
        if (!connection.session || connection.session.issuedAt > revokedBefore) continue;
        this.close(connection, CloseCode.ended, 'ended by the service');
        this.connections.remove(connection);
      }
    });
  }

  /** Another node ended the user's sessions (or erased the user): this node closes its connections too. */
  relayEnded(code: number, reason: string): Promise<void> {
    return this.run(async () => void closeHere(this, code, reason));
  }

  /** Who is connected, by transport; parked job polls count as polls. */
  async presence(): Promise<Presence> {
    const counts = await connectedEverywhere(this);
    const connections = Object.fromEntries(CLIENT_TRANSPORTS.map((t) => [t, counts[t]])) as Presence['connections'];
    connections.poll += counts.job;
    return { online: Object.values(counts).some((n) => n > 0), connections };
  }

  /** What a publisher may learn about this user: connections, the log, and each feature's part (jobs by status, the inbox's counts). */
  stats(): Promise<UserStats> {
    return this.run(async () => {
      const retained = await this.log.retained();
      const stats = {
        ...(await this.presence()),
        lastEventId: String(this.log.lastId),
        retainedEvents: retained,
        oldestRetainedId: retained > 0 ? String(this.log.prunedThrough + 1) : null,
      };
      for (const feature of FEATURES) Object.assign(stats, await feature.stats?.(this));
      return stats as UserStats;
    });
  }
}
