// How a feature plugs into the actor's kernel (kernel.ts). A feature is a
// module-level object of functions, the same for every user: what it keeps
// per user lives in the kernel's parts (Kernel.part), made on first use, so
// an idle connected user holds only what opening its streams needed.
//
// The kernel calls these hooks; it knows no feature by name. Adding a feature
// is a new module, its entry in FEATURES (hub.ts) and its calls on Hub.

import type { UserStats } from '../../protocol/wire.ts';
import type { ClientFrameHandler } from './client-frames.ts';
import type { OutgoingEvent } from './frames.ts';
import type { OpenOptions } from './options.ts';
import type { Connection } from './ports.ts';

/** Answers one client frame type on a connection (client-frames.ts checks size, rate and shape first). */
export type FrameHandler<K> = ClientFrameHandler<K>;

/** `K` is the kernel (kernel.ts), a parameter here so this file imports nothing of it. */
export interface Feature<K> {
  /**
   * Reasons this feature asks to be woken for (Schedule.request) and what it
   * runs then, at `now` by this clock or `dueAt`, the time the alarm was for
   * (later than `now` when the platform fired it early). What it starts
   * sending and does not wait for, it returns as `sent` (the host's alarm
   * waits for it; the actor's next call does not).
   */
  readonly wakes?: Readonly<Record<string, (kernel: K, now: number, dueAt: number) => Promise<{ sent: Promise<void> } | void>>>;
  /**
   * Of its wakes, those about this process's own connections (a session's
   * expiry): where other nodes share the store, each node keeps them in
   * memory instead of a schedule row another node could take.
   */
  readonly localWakes?: readonly string[];
  /** Client frames it answers, by `type`. */
  readonly frames?: Readonly<Record<string, FrameHandler<K>>>;
  /** A connection is opening and not yet registered: throw a HubError to refuse it. */
  admitting?(kernel: K, connection: Connection, options: OpenOptions, now: number): Promise<void>;
  /** A connection was registered; true when this feature answered it (a job poll), so no replay follows. */
  opened?(kernel: K, connection: Connection, options: OpenOptions, now: number): Promise<boolean>;
  /** Events reached a connection in a replay or a poll. */
  replayed?(kernel: K, events: readonly OutgoingEvent[]): Promise<void>;
  /** Drops its rows that aged out (inside the prune's transaction); when the next will, or null. */
  prune?(kernel: K, now: number): Promise<number | null>;
  /** Deletes every row of the user (inside the erasure's transaction); what it removed, for the answer. */
  erase?(kernel: K): Promise<Record<string, number> | void>;
  /** The user's credentials were revoked (a logout everywhere). */
  revoked?(kernel: K): Promise<void>;
  /** What it adds to the user's stats. */
  stats?(kernel: K): Promise<Partial<UserStats>>;
}
