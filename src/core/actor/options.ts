// What a host gives each actor besides its store and connections, and how a
// connection opens.

import type { Credential } from '../auth/client-token.ts';
import type { Ticket } from '../auth/tickets.ts';
import type { PushObservation } from '../observability/observer.ts';
import type { PushSender } from './push.ts';
import type { ReceiptSettings } from './receipts.ts';
import type { Alarm } from './schedule.ts';
import type { EventRow } from './frames.ts';
import type { JsonText } from '../json.ts';
import type { Transport } from './ports.ts';

/** Reads a ticket's signature and claims (tickets.ts readTicket, bound to the secret). */
export type TicketReader = (ticket: string) => Promise<Ticket | null>;

export interface HubOptions {
  /** Resolves once the store is migrated (migrate()): the actor's first call waits for it. */
  ready?: Promise<void>;
  /**
   * The user whose rows these are: '' when the store holds one user (a
   * Durable Object), the user id when it holds many (standalone).
   */
  owner?: string;
  /** The platform's alarm for this actor, kept at the earliest time the actor asked to be woken (see wake()). */
  alarm?: Alarm;
  /** Checks the ticket of an in-band refresh; without it every refresh is refused. */
  readTicket?: TicketReader;
  /** Sends receipts to the publisher (RECEIPTS_URL) for the user `userId`; without it none are queued. */
  receipts?: ReceiptSettings & { userId: string };
  /** Sends Web Push (VAPID keys set); without it the push routes answer 501 and nothing is pushed. */
  push?: PushSender;
  /** Every push attempt and its outcome (the host's logs and counters); logged when absent. */
  onPush?: (push: Omit<PushObservation, 'userId'>) => void;
  /** The other nodes holding this user's connections (a cluster): told of what this node committed, once it is committed. */
  peers?: Peers;
}

/**
 * What a cluster node tells the others of one user once it is committed; each
 * node that holds connections of the user hears it (Kernel.relay, Hub.relayJob,
 * Hub.relayEnded). At most once: a node fills what it missed from the log.
 */
export interface Peers {
  event(row: EventRow): void;
  job(jobId: string, json: JsonText): void;
  ended(code: number, reason: string): void;
  /** The user's connections on every node, by transport: this node's counted here, the others' as they announced them. */
  count(): Promise<Record<Transport, number>>;
  /** Makes this node's count of the user's connections known to the others; resolves once it is (or it failed and was logged). */
  announce(): Promise<void>;
}

/** How a connection opens: where it resumes, the ticket it spends, or the job it waits on. */
export interface OpenOptions {
  /** Resume point: retained events after this id are replayed first. */
  after?: number;
  /** Replay at most this many events and one more (a long poll's page and its `more`); all when absent. */
  replayLimit?: number;
  /** A ticket to spend with the open; a spent one refuses it. */
  redeem?: { nonce: string; exp: number };
  /** The credential the client opened with: refused when revoked; for a WebSocket or SSE stream, the session that ends it (4401). */
  credential?: Credential;
  /** For a job long poll: the job, and the version it has already seen (absent: the current one). */
  job?: { id: string; version?: number };
}

/** What ending a user's sessions closed. */
export interface Ended {
  closed: number;
  duplicate?: true;
}
