// A parked long poll as a connection: it collects what the actor sends until
// its answer is complete, then settles once. Structured messages, not text:
// the route reads them as they were built. (On Cloudflare the Worker parks the
// poll and the actor's side is a hibernatable socket; see wait-bridge.ts.)

import type { Outgoing } from './frames.ts';
import type { Connection } from './ports.ts';

export class Waiter implements Connection {
  readonly transport: 'poll' | 'job';
  readonly messages: Outgoing[] = [];
  /** Resolves with the messages once the answer is complete, the wait ran out, or the client left. */
  readonly done: Promise<Outgoing[]>;
  #settle!: () => void;
  #settled = false;
  #ready = false;

  constructor(transport: 'poll' | 'job') {
    this.transport = transport;
    this.done = new Promise((resolve) => {
      this.#settle = () => resolve(this.messages);
    });
  }

  /**
   * An event poll's answer is complete once the replay has ended (hub.ready)
   * and at least one event has come; a job poll's with the first job it gets.
   */
  send(message: Outgoing): boolean {
    if (this.#settled) return false;
    this.messages.push(message);
    if (message.kind === 'control' && message.json.startsWith('{"type":"hub.ready"')) this.#ready = true;
    if (this.transport === 'job' ? message.kind === 'job' : this.#ready && this.messages.some((m) => m.kind === 'event')) {
      this.settle();
    }
    return true;
  }

  close(): void {
    this.settle();
  }

  settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#settle();
  }

  /** The JSON texts of the answer: events (and a leading hub.reset) for a poll, the job for a job poll. */
  answer(): string[] {
    return this.messages.filter((m) => !(m.kind === 'control' && m.json.startsWith('{"type":"hub.ready"'))).map((m) => m.json);
  }
}
