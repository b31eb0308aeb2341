// A standalone node in a cluster (REDIS_URL beside DATABASE_URL): every node
// serves any user, PostgreSQL holds every user's rows (postgres-store.ts), and
// Redis's sharded pub/sub carries what a node commits to the nodes that hold
// that user's connections, and to no other. A node subscribes to a user's
// channel when it accepts the user's first connection and unsubscribes a
// little after the last one closes. Pub/sub is at most once: a message is a
// hint. Ids are consecutive per user, so a node fills any gap from the log
// (relay.ts); it catches its users up once each subscription is confirmed
// (what was committed while it was being made, or while Redis was away), and
// every few seconds (a lost last message). Redis losing anything loses nothing.

import { createClient } from 'redis';
import type { Hub, Peers } from '../core/actor/hub.ts';
import type { EventRow } from '../core/actor/frames.ts';
import { decode, encode, type JsonText } from '../core/json.ts';
import { log } from '../core/observability/log.ts';
import { MemoryConnectionSet } from './memory-connections.ts';
import { TRANSPORTS, type Connection, type Transport } from '../core/actor/ports.ts';
import type { ClusterHooks } from './actor-directory.ts';

/** What a node publishes on a user's channel. `n`: the node that committed it (it delivered it itself). */
type Message = { n: string } & ({ e: EventRow } | { j: [jobId: string, json: JsonText] } | { x: [code: number, reason: string] });

export interface ClusterOptions {
  redisUrl: string;
  /** The actor of a user if it is in memory on this node. */
  actorOf(userId: string): Hub | undefined;
  /** Each user's last event id and revocation point, read in one query (the periodic check). */
  positions(userIds: string[]): Promise<Map<string, { lastId: number; revokedBefore: number }>>;
  /** How often the positions of this node's users are checked against the log. */
  checkMs?: number;
  /** How long a channel stays subscribed after the user's last connection here closes. */
  lingerMs?: number;
}

const channelOf = (userId: string) => `userhub:{${userId}}`;
/** A hash per user: each node's count of its connections, by transport, and until when it holds. */
const presenceKey = (userId: string) => `userhub:presence:{${userId}}`;
/** How long a node's announcement counts without a refresh (it refreshes every check). */
const PRESENCE_TTL_MS = 15_000;
/** The longest a Redis call may hold an open or a publish (which wait under the user's lock): past it, this node's own count stands. */
const REDIS_TIMEOUT_MS = 500;

function withTimeout<T>(call: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('Redis did not answer in time')), REDIS_TIMEOUT_MS)));
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}

export class Cluster implements ClusterHooks {
  readonly #node = crypto.randomUUID();
  readonly #options: ClusterOptions;
  readonly #publisher: ReturnType<typeof createClient>;
  #subscriber!: ReturnType<typeof createClient>;
  /** Users subscribed here, with the timer that unsubscribes one whose connections here have all closed. */
  readonly #watched = new Map<string, ReturnType<typeof setTimeout> | null>();
  /** Each watched user's one message listener (a second subscribe of the same channel adds nothing). */
  readonly #listeners = new Map<string, (text: string) => void>();
  readonly #timer: ReturnType<typeof setInterval>;
  #checking = false;
  #closed = false;
  /** Messages published (one per commit), and the subscribed nodes Redis handed them to (SPUBLISH's answer): GET /metrics. */
  published = 0;
  receivers = 0;

  constructor(options: ClusterOptions) {
    this.#options = options;
    // A command while Redis is away fails at once instead of queueing: the periodic check repairs what it would have carried.
    this.#publisher = createClient({ url: options.redisUrl, disableOfflineQueue: true });
    this.#publisher.on('error', (err: unknown) => log.warn('redis_error', { error: String(err) }));
    void this.#publisher.connect().catch(() => undefined);
    this.#connectSubscriber();
    this.#timer = setInterval(() => void this.#check(), options.checkMs ?? 3000);
  }

  /** A connection set that subscribes this node to the user's channel while it holds connections of the user. */
  connectionsFor(userId: string): MemoryConnectionSet {
    return new WatchedConnectionSet(userId, this);
  }

  /** Tells the nodes holding the user's connections what this node committed, and counts the user's connections on every node. */
  peersFor(userId: string): Peers {
    const send = (message: Omit<Message, 'n'>) => this.#publish(userId, { n: this.#node, ...message } as Message);
    return {
      count: () => this.#count(userId),
      announce: () => this.#announce(userId),
      // The event's data and the job cross as the text they were stored as (a JSON string in the message), byte for byte.
      event: (row) => send({ e: row }),
      job: (jobId, json) => send({ j: [jobId, json] }),
      ended: (code, reason) => send({ x: [code, reason] }),
    };
  }

  #publish(userId: string, message: Message): void {
    this.published++;
    this.#publisher.sPublish(channelOf(userId), encode(message)).then(
      (receivers) => void (this.receivers += receivers),
      (err: unknown) => log.warn('redis_publish_failed', { error: String(err) }),
    );
  }

  /**
   * The subscriber connection, replaced by a new one when it is lost: not
   * the driver's reconnect, which (node-redis 5.12) subscribes a client's
   * sharded channels again only in part (about 1,500 of them; the rest
   * silently stay unsubscribed). The new one subscribes every watched user
   * itself, and catches each up from the log once its subscription holds.
   */
  #connectSubscriber(): void {
    const client = this.#publisher.duplicate({ socket: { reconnectStrategy: false } });
    this.#subscriber = client;
    let lost = false;
    const replace = () => {
      if (lost || this.#closed) return;
      lost = true;
      setTimeout(() => !this.#closed && this.#connectSubscriber(), 500);
    };
    client.on('error', (err: unknown) => {
      log.warn('redis_error', { error: String(err) });
      if (!client.isOpen) replace();
    });
    client.connect().then(() => {
      for (const userId of this.#watched.keys()) this.#subscribe(userId);
    }, replace);
  }

  /** The user has a first connection here: subscribe, then catch up on what was committed while subscribing. */
  watch(userId: string): void {
    const linger = this.#watched.get(userId);
    if (linger !== undefined) {
      if (linger) clearTimeout(linger);
      this.#watched.set(userId, null);
      return;
    }
    this.#watched.set(userId, null);
    this.#subscribe(userId);
  }

  /** Subscribes, then catches the user up on what was committed meanwhile; a refused subscribe is tried again while the user is watched. */
  #subscribe(userId: string): void {
    let listener = this.#listeners.get(userId);
    if (!listener) this.#listeners.set(userId, (listener = (text) => this.#receive(userId, text)));
    withTimeout(this.#subscriber.sSubscribe(channelOf(userId), listener))
      .then(() => this.#options.actorOf(userId)?.catchUp())
      .catch((err: unknown) => {
        // A lost connection is logged once (redis_error), not once per user; a new one subscribes them all.
        if (this.#subscriber.isReady) log.warn('redis_subscribe_failed', { error: String(err) });
        setTimeout(() => this.#watched.has(userId) && this.#subscribe(userId), 1000);
      });
  }

  /** A connection here closed: the other nodes count it out (not awaited: nothing waits on a close). */
  announceSoon(userId: string): void {
    void this.#announce(userId);
  }

  /** The user's last connection here closed: unsubscribe after a while, unless one opens again. */
  release(userId: string): void {
    if (this.#watched.get(userId) !== null) return;
    const timer = setTimeout(() => {
      this.#watched.delete(userId);
      this.#listeners.delete(userId);
      this.#subscriber.sUnsubscribe(channelOf(userId)).catch(() => undefined);
    }, this.#options.lingerMs ?? 5000);
    this.#watched.set(userId, timer);
  }

  /** This node's connections of the user, by transport. */
  #local(userId: string): Record<Transport, number> {
    const connections = this.#options.actorOf(userId)?.connections;
    return Object.fromEntries(TRANSPORTS.map((transport) => [transport, connections?.count(transport) ?? 0])) as Record<Transport, number>;
  }

  /**
   * Writes this node's count of the user's connections into the user's
   * presence hash (a field per node, good until PRESENCE_TTL_MS unless
   * refreshed): what the other nodes add to theirs for caps, presence and a
   * publish's `delivered`. A node that dies stops refreshing, and its field
   * stops counting.
   */
  async #announce(userId: string): Promise<void> {
    const counts = this.#local(userId);
    const key = presenceKey(userId);
    try {
      if (TRANSPORTS.every((transport) => counts[transport] === 0)) {
        await withTimeout(this.#publisher.hDel(key, this.#node));
        return;
      }
      const value = [...TRANSPORTS.map((transport) => counts[transport]), Date.now() + PRESENCE_TTL_MS].join(',');
      await withTimeout(this.#publisher.multi().hSet(key, this.#node, value).pExpire(key, 2 * PRESENCE_TTL_MS).exec());
    } catch (err) {
      log.warn('redis_presence_failed', { error: String(err) });
    }
  }

  /** The user's connections on every node: this node's own, and each other node's last announcement that is still good. */
  async #count(userId: string): Promise<Record<Transport, number>> {
    const counts = this.#local(userId);
    let fields: Record<string, string> = {};
    try {
      fields = await withTimeout(this.#publisher.hGetAll(presenceKey(userId)));
    } catch (err) {
      log.warn('redis_presence_failed', { error: String(err) }); // this node's own count stands alone until Redis is back
    }
    const now = Date.now();
    for (const [node, value] of Object.entries(fields)) {
      if (node === this.#node) continue;
      const numbers = value.split(',').map(Number);
      if (!(numbers[TRANSPORTS.length]! > now)) continue;
      for (const [i, transport] of TRANSPORTS.entries()) counts[transport] += numbers[i] || 0;
    }
    return counts;
  }

  /** A message on a user's channel. One that is not of this shape (another version, anything else on the channel) is dropped, never thrown into the Redis client. */
  #receive(userId: string, text: string): void {
    let done: Promise<void> | undefined;
    try {
      const message = decode<Message>(text);
      if (message.n === this.#node) return; // this node delivered it itself
      const hub = this.#options.actorOf(userId);
      if (!hub) return;
      if ('e' in message && Number.isSafeInteger(message.e.id) && typeof message.e.data === 'string') done = hub.relay(message.e);
      else if ('j' in message && typeof message.j[0] === 'string' && typeof message.j[1] === 'string') done = hub.relayJob(message.j[0], message.j[1]);
      else if ('x' in message && Number.isInteger(message.x[0])) done = hub.relayEnded(message.x[0], String(message.x[1]));
    } catch (err) {
      log.warn('relay_dropped', { error: String(err) });
    }
    done?.catch((err: unknown) => log.warn('relay_failed', { error: String(err) }));
  }

  /** Brings every user with connections here up to the log and its revocation point (one query for all), and refreshes its presence. */
  async #check(): Promise<void> {
    const users = [...this.#watched.keys()];
    if (users.length === 0 || this.#checking) return;
    this.#checking = true;
    for (const userId of users) void this.#announce(userId);
    try {
      for (const [userId, { lastId, revokedBefore }] of await this.#options.positions(users)) {
        const hub = this.#options.actorOf(userId);
        if (!hub) continue;
        if (hub.isBehind(lastId)) await hub.catchUp();
        // A revoke or an erasure whose message was lost: its streams here close all the same.
        if (revokedBefore > 0) await hub.closeRevoked(revokedBefore);
      }
    } catch (err) {
      log.warn('cluster_check_failed', { error: String(err) });
    } finally {
      this.#checking = false;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const timer of this.#watched.values()) if (timer) clearTimeout(timer);
    this.#watched.clear();
    this.#listeners.clear();
    await Promise.allSettled([this.#publisher.close(), this.#subscriber.close()]);
  }
}

/** The user's connections on this node; the first one subscribes the node to the user, the last one's close releases it. */
class WatchedConnectionSet extends MemoryConnectionSet {
  readonly #userId: string;
  readonly #cluster: Cluster;

  constructor(userId: string, cluster: Cluster) {
    super();
    this.#userId = userId;
    this.#cluster = cluster;
  }

  override accept(connection: Connection, tags: readonly string[]): void {
    const first = this.count() === 0;
    super.accept(connection, tags);
    if (first) this.#cluster.watch(this.#userId);
  }

  override remove(connection: Connection): void {
    const had = this.count() > 0;
    super.remove(connection);
    if (!had) return;
    this.#cluster.announceSoon(this.#userId);
    if (this.count() === 0) this.#cluster.release(this.#userId);
  }
}
