// Delivery when other nodes write the same user's log (a cluster: the store's
// singleWriter is false). An event committed on another node reaches this one
// as a hint (Kernel.relay), at most once and in any order with this node's
// own; what this node holds per connection is where that connection stands in
// the log, so each event reaches it once, in id order, any gap filled from the
// log first (ids are consecutive per user).

import type { EventLog } from './event-log.ts';
import { OutgoingEvent, type Outgoing } from './frames.ts';
import { EVENTS, TRANSPORTS, type Connection, type ConnectionSet, type Transport } from './ports.ts';
import type { Peers } from './options.ts';

/** What bringing connections up to date needs of the kernel. */
interface Delivering {
  readonly connections: ConnectionSet;
  readonly log: EventLog;
  sendLive(connections: Iterable<Connection>, message: Outgoing): void;
}

/** The user's connections by transport on every node (with `peers`, a cluster), else on this one. */
export async function connectedEverywhere(k: { connections: ConnectionSet; options: { peers?: Peers } }): Promise<Record<Transport, number>> {
  if (k.options.peers) return await k.options.peers.count();
  return Object.fromEntries(TRANSPORTS.map((transport) => [transport, k.connections.count(transport)])) as Record<Transport, number>;
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
    const events = from < last ? (await k.log.after(from, last - from)).map((row) => new OutgoingEvent(row)) : [];
    if (event) events.push(event);
    for (const message of events) {
      k.sendLive(behind.filter((connection) => this.#at.get(connection.identity)! < message.row.id), message);
    }
  }
}
