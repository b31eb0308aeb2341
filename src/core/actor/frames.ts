// What the actor hands a connection: a message that knows its wire forms and
// caches each, so fan-out serializes once per form however many connections
// read it. The connection, not the actor, chooses the form it writes: a
// WebSocket or a long poll the JSON text, an SSE stream the SSE event.

import { HUB_CLOSED, HUB_READY } from '../../protocol/wire.ts';
import { encode, raw, type Encodable, type JsonText } from '../json.ts';
import { sseFrame } from '../sse.ts';

/** One message for a connection, in every form a transport writes. */
export type Outgoing = OutgoingEvent | ControlMessage | JobMessage | JobSnapshot;

interface WireForms {
  /** The JSON text a WebSocket or long poll carries. */
  readonly json: JsonText;
  /** The SSE event a stream carries. */
  readonly sse: string;
}

export interface EventRow {
  id: number;
  type: string;
  data: JsonText;
  created_at: number;
}

/** One stored event. */
export class OutgoingEvent implements WireForms {
  readonly kind = 'event';
  readonly row: EventRow;
  #json?: JsonText;
  #sse?: string;

  constructor(row: EventRow) {
    this.row = row;
  }

  get id(): string {
    return String(this.row.id);
  }

  get json(): JsonText {
    const { id, type, data, created_at } = this.row;
    return (this.#json ??= encode({ id: String(id), type, data: raw(data), time: new Date(created_at).toISOString() }));
  }

  get sse(): string {
    return (this.#sse ??= sseFrame(this.row.type, this.json, String(this.row.id)));
  }
}

/** A control frame (`hub.ready`, `hub.reset`, `hub.error`, `pong`): no id, so Last-Event-ID stays put. */
export class ControlMessage implements WireForms {
  readonly kind = 'control';
  readonly type: string;
  readonly json: JsonText;
  /** For `hub.ready`: the last id when the replay ended. */
  readonly lastId?: string;
  /** For a long poll's `hub.ready`: the replay was cut at REPLAY_MAX_BYTES. */
  readonly more?: true;

  constructor(type: string, data?: unknown) {
    this.type = type;
    this.json = encode({ type, data: data as Encodable });
    if (type === HUB_READY) {
      this.lastId = (data as { lastId: string }).lastId;
      if ((data as { more?: true }).more) this.more = true;
    }
  }

  get sse(): string {
    return sseFrame(this.type, this.json);
  }
}

/**
 * Sent on a WebSocket just before the server closes it for a reason: the code
 * and reason, readable even where a proxy swallows the close frame (an SSE
 * stream writes the same frame in its own framing, sse-stream.ts).
 */
export const closingFrame = (code: number, reason: string) => new ControlMessage(HUB_CLOSED, { code, reason });

/** A job as a job long poll receives it. */
export class JobMessage implements WireForms {
  readonly kind = 'job';
  readonly json: JsonText;

  constructor(json: JsonText) {
    this.json = json;
  }

  get sse(): string {
    return sseFrame('job', this.json);
  }
}

/**
 * What a job long poll holds while it waits: the job as it stands (or null,
 * no such job), to answer with if the wait runs out. Only job polls get it.
 */
export class JobSnapshot implements WireForms {
  readonly kind = 'snapshot';
  /** The job's JSON, or null. */
  readonly job: JsonText | null;

  constructor(job: JsonText | null) {
    this.job = job;
  }

  get json(): JsonText {
    return encode({ snapshot: raw(this.job) });
  }

  get sse(): string {
    return this.json;
  }
}
