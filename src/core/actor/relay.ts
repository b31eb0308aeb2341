// What changes when other nodes hold the same user's connections and write
// the same user's log (a cluster: `peers` given, the store's singleWriter
// false). The cap and a publish's `delivered` count every node's connections
// (makeRoom, receivers). An event committed on another node reaches this one
// as a hint (Hub.relay), at most once and in any order with this node's own;
// what this node holds per connection is where that connection stands in the
// log, so each event reaches it once, in id order, any gap filled from the log
// first (ids are consecutive per user).

import { CloseCode } from '../../protocol/wire.ts';
import { HubError } from '../errors.ts';
import type { EventLog } from './event-log.ts';
import { OutgoingEvent, type Outgoing } from './frames.ts';
import { EVENTS, TRANSPORTS, type Connection, type ConnectionSet, type Transport } from './ports.ts';
import type { Peers } from './options.ts';

/** What bringing connections up to date needs of the kernel. */
interface Delivering {
  readonly connections: ConnectionSet;
  readonly log: EventLog;
  sendLive(connections: Iterable<Connection>, message: Outgoing): void;
  close(connection: Connection, code: number, reason: string): void;
}

/** The user's connections by transport on every node (with `peers`, a cluster), else on this one. */
export async function connectedEverywhere(k: { connections: ConnectionSet; options: { peers?: Peers } }): Promise<Record<Transport, number>> {
  if (k.options.peers) return await k.options.peers.count();
  return Object.fromEntries(TRANSPORTS.map((transport) => [transport, k.connections.count(transport)])) as Record<Transport, number>;
}

/**
 * At the cap (counted on every node), ends this node's oldest SSE stream or
 * long poll (each resumes by itself) to make room; with none, 429.
 */
export async function makeRoom(k: {
  connections: ConnectionSet;
  options: { peers?: Peers };
  limits: { maxConnectionsPerUser: number };
  close(connection: Connection, code: number, reason: string): void;
}): Promise<void> {
  const max = k.limits.maxConnectionsPerUser;
  if (Object.values(await connectedEverywhere(k)).reduce((sum, n) => sum + n, 0) < max) return;
  for (const connection of k.connections.tagged()) {
    if (connection.transport === 'websocket') continue;
    k.close(connection, CloseCode.reconnect, 'replaced by a newer connection');
    k.connections.remove(connection);
    return;
  }
  throw new HubError('connection_limit', `This user already holds ${max} connections.`);
}

/** How many connections receive every event, on every node: a publish's `delivered`. */
export async function receivers(k: { connections: ConnectionSet; options: { peers?: Peers } }): Promise<number> {
  if (!k.options.peers) return k.connections.count(EVENTS);
  const counts = await k.options.peers.count();
  return TRANSPORTS.reduce((sum, transport) => (transport === 'job' ? sum : sum + counts[transport]), 0);
}

export class Positions {
  /** Per connection (its identity), the last event id it holds. */
  readonly #at = new WeakMap<object, number>();

  /** Where a connection stands once `message` is sent to it: an event's id, or the last id its replay's `hub.ready` names. */
  advance(connection: Connection, message: Outgoing): void {
    const id = message.kind === 'event' ? message.row.id : message.kind === 'control' && message.lastId !== undefined ? Number(message.lastId) : undefined;
    if (id !== undefined) this.#at.set(connection.identity, Math.max(id, this.#at.get(connection.identity) ?? 0));
  }

  /** Whether a connection here holds less than the log's `lastId`. */
  isBehind(k: Delivering, lastId: number): boolean {
    for (const connection of k.connections.tagged(EVENTS)) if ((this.#at.get(connection.identity) ?? lastId) < lastId) return true;
    return false;
  }

  /**
   * Sends each connection behind `through` what it lacks, in id order: the
   * rows it missed, read from the log, then `event` (the event with id
   * `through`) itself. A connection with no position here (the actor's
   * memory was rebuilt while it stayed open) gets `event` alone, as a
   * single-node actor would send it.
   */
  async bringUp(k: Delivering, through: number, event?: OutgoingEvent): Promise<void> {
    const behind: Connection[] = [];
    let from = through;
    for (const connection of k.connections.tagged(EVENTS)) {
      let position = this.#at.get(connection.identity);
      if (position === undefined) {
        if (!event) continue;
        this.#at.set(connection.identity, (position = through - 1));
      }
      if (position >= through) continue;
      behind.push(connection);
      from = Math.min(from, position);
    }
    if (behind.length === 0) return;
    const last = event ? through - 1 : through;
    if (from < last) {
      // A gap to fill: a connection behind what retention has pruned since resumes instead (4009), and its replay says hub.reset.
      await k.log.load();
      for (const connection of behind.filter((c) => this.#at.get(c.identity)! < k.log.prunedThrough)) {
        k.close(connection, CloseCode.resumeNow, 'events were pruned; resume from the last id');
        behind.splice(behind.indexOf(connection), 1);
        from = Math.max(from, k.log.prunedThrough);
      }
    }
    const events = from < last ? (await k.log.after(from, last - from)).map((row) => new OutgoingEvent(row)) : [];
    if (event) events.push(event);
    for (const message of events) {
      k.sendLive(behind.filter((connection) => this.#at.get(connection.identity)! < message.row.id), message);
    }
  }
}
