// Cost at scale on Cloudflare, computed from the published Workers and Durable
// Objects prices (Workers Paid plan, as listed on developers.cloudflare.com
// pricing pages in 2026; update PRICES when they change).

export const PRICES = {
  workerRequestsPerMillion: 0.3,
  workerCpuPerMillionMs: 0.02,
  doRequestsPerMillion: 0.15,
  doGbSecondsPerMillion: 12.5,
  sqliteRowsWrittenPerMillion: 1.0,
  sqliteRowsReadPerMillion: 0.001,
  /** Incoming WebSocket messages to a Durable Object are billed as requests at 20:1. */
  wsMessagesPerRequest: 20,
};

/**
 * What each operation makes the build do on Cloudflare, counted on workerd by
 * test/workers/usage.test.ts (which fails when these drift): Durable Object
 * invocations and SQLite rows. Every operation is also one Worker request.
 */
export const COUNTS = {
  /** The event row, the dedupe row and its age index (both tables clustered on their primary keys). */
  publish: { rpc: 1, rowsRead: 0, rowsWritten: 3 },
  /** The same, on an object whose tables do not exist yet (each user's first: every migration runs). */
  firstPublish: { rpc: 1, rowsRead: 303, rowsWritten: 76 },
  duplicatePublish: { rpc: 1, rowsRead: 1, rowsWritten: 0 },
  /** The session's expiry wake (a schedule row and its time index). */
  openStream: { fetches: 1, rowsRead: 0, rowsWritten: 2 },
  /** Another stream whose session ends no sooner: that wake is already due. */
  openAnotherStream: { fetches: 1, rowsRead: 0, rowsWritten: 0 },
  longPollTimedOut: { fetches: 1, rowsRead: 0, rowsWritten: 0 },
  /** The item, its event, the dedupe row and its index; rows read grow with the inbox (the counts read its items). */
  notify: { rpc: 1, rowsRead: 2, rowsWritten: 4 },
  /** An `ack` frame on a WebSocket: one incoming message (20:1), the item's receivedAt. */
  ackFrame: { webSocketMessages: 1, rowsRead: 2, rowsWritten: 1 },
  /** POST /v1/acks (SSE and poll clients). */
  ackHttp: { rpc: 1, rowsRead: 4, rowsWritten: 1 },
  /** A prune alarm that deletes the oldest event by count (its dedupe key stays for its 96 h) and asks for the next prune. */
  pruneByCount: { alarms: 1, rowsRead: 90, rowsWritten: 5 },
  /** A prune alarm that deletes a dedupe key that aged out (its event still retained). */
  pruneKey: { alarms: 1, rowsRead: 10, rowsWritten: 3 },
  /** A prune alarm that deletes an event and its key together (both aged out by the same time). */
  pruneTogether: { alarms: 1, rowsRead: 11, rowsWritten: 5 },
  /** Marking one item read: the item and its inbox.changed event; rows read also grow with the log (earlier inbox.changed events are looked up to be superseded). */
  markRead: { rpc: 1, rowsRead: 18, rowsWritten: 2 },
};

/** Assumptions the counts cannot give, each stated in the report. */
export const ASSUMED = {
  /** Worker CPU per request, ms: on workerd direct a publish costs about 1.9 ms of CPU in all (Worker, object and runtime; bench/tools/served-publish.ts). */
  workerCpuMs: 2,
  /** Wall time an object is billed for per invocation, ms (a publish's p50 on workerd direct is ~3.5 ms end to end). */
  objectActiveMs: 4,
  objectMemoryGb: 0.128,
  heartbeatCpuMs: 0.05,
  heartbeatSeconds: 15,
  /** The client library pings an idle WebSocket every 25 s; the Worker relays it (the object's runtime answers). */
  pingSeconds: 25,
  longPollSeconds: 25,
  /** Token lifetime for streams: each session gets a warning and an end, two alarm wakes. */
  sessionHours: 1,
  retentionEvents: 1000,
  retentionDays: 7,
  dedupeDays: 4,
  pruneDelaySeconds: 60,
};

const SECONDS_PER_MONTH = 30 * 24 * 3600;
const money = (n: number) => (n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);

/** Cost of one event at `perHour` events per user per hour, in dollars. */
export function costPerEvent(perHour: number): number {
  const p = PRICES;
  const a = ASSUMED;
  const objectRequest = p.doRequestsPerMillion / 1e6 + (a.objectActiveMs / 1000) * a.objectMemoryGb * (p.doGbSecondsPerMillion / 1e6);
  const row = p.sqliteRowsWrittenPerMillion / 1e6;
  const publish = p.workerRequestsPerMillion / 1e6 + a.workerCpuMs * (p.workerCpuPerMillionMs / 1e6) + objectRequest + COUNTS.publish.rowsWritten * row;
  return publish + pruneAlarmsPerEvent(perHour) * objectRequest + pruneRowsPerEvent(perHour) * row;
}

/**
 * Each event is deleted twice over: its row when it leaves retention and its
 * dedupe key when it ages out, at other times (retention is 1,000 events or
 * 7 days, the key's window 96 h), so at low rates each takes a prune alarm of
 * its own (counted: pruneByCount, pruneKey). The prune delay coalesces alarms
 * to at most one a minute: past 30 events an hour an alarm deletes about an
 * event and a key at once (counted: pruneTogether).
 */
export function pruneAlarmsPerEvent(perHour: number): number {
  return Math.min(2, 3600 / ASSUMED.pruneDelaySeconds / perHour);
}

export function pruneRowsPerEvent(perHour: number): number {
  const alarms = pruneAlarmsPerEvent(perHour);
  return alarms >= 2 ? COUNTS.pruneByCount.rowsWritten + COUNTS.pruneKey.rowsWritten : COUNTS.pruneTogether.rowsWritten * Math.max(1, alarms);
}

export function costModel(): string[] {
  const p = PRICES;
  const a = ASSUMED;
  const rates = [1, 10, 100];
  const perMillion = rates.map((r) => `${r}/h: **${money(costPerEvent(r) * 1e6)}**`).join(', ');
  const stored = (COUNTS.publish.rowsWritten + pruneRowsPerEvent(10)) * p.sqliteRowsWrittenPerMillion;
  const sessionWakes = ((SECONDS_PER_MONTH / 3600 / a.sessionHours) * 2 * p.doRequestsPerMillion) / 1e6;
  const webSocketIdle = (SECONDS_PER_MONTH / a.pingSeconds) * a.heartbeatCpuMs * (p.workerCpuPerMillionMs / 1e6) + sessionWakes;
  const sseIdle = (SECONDS_PER_MONTH / a.heartbeatSeconds) * a.heartbeatCpuMs * (p.workerCpuPerMillionMs / 1e6) + sessionWakes;
  const polls = SECONDS_PER_MONTH / a.longPollSeconds;
  const pollIdle = (polls * (p.workerRequestsPerMillion + COUNTS.longPollTimedOut.fetches * p.doRequestsPerMillion + a.workerCpuMs * p.workerCpuPerMillionMs)) / 1e6;
  const batchSaves = (p.workerRequestsPerMillion + a.workerCpuMs * p.workerCpuPerMillionMs);
  return [
    '## Cost at scale on Cloudflare',
    '',
    `Priced from Cloudflare's published rates (Workers Paid: ${money(p.workerRequestsPerMillion)} per million requests, ${money(p.workerCpuPerMillionMs)} per million CPU-ms; Durable Objects: ${money(p.doRequestsPerMillion)} per million requests, ${money(p.doGbSecondsPerMillion)} per million GB-s; SQLite ${money(p.sqliteRowsWrittenPerMillion)} per million rows written), before the plan's included allowances, and from what the build was counted doing on workerd (\`test/workers/usage.test.ts\`, which fails when a count in \`bench/cost.ts\` drifts):`,
    '',
    '| Operation | Worker requests | Object invocations | Rows read | Rows written |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| Publish (new webhook-id), connected or not | 1 | ${COUNTS.publish.rpc} RPC | ${COUNTS.publish.rowsRead} | ${COUNTS.publish.rowsWritten} |`,
    `| A user's first publish (creates the tables) | 1 | ${COUNTS.firstPublish.rpc} RPC | ${COUNTS.firstPublish.rowsRead} | ${COUNTS.firstPublish.rowsWritten} |`,
    `| Duplicate publish (retried webhook-id) | 1 | ${COUNTS.duplicatePublish.rpc} RPC | ${COUNTS.duplicatePublish.rowsRead} | ${COUNTS.duplicatePublish.rowsWritten} |`,
    `| Batch to N users | 1 | N RPC | 0 | ${COUNTS.publish.rowsWritten} × N |`,
    `| Open a WebSocket or SSE stream (first of a session) | 1 | ${COUNTS.openStream.fetches} fetch | ${COUNTS.openStream.rowsRead} | ${COUNTS.openStream.rowsWritten} |`,
    `| Open another stream (session ends no sooner) | 1 | ${COUNTS.openAnotherStream.fetches} fetch | 0 | 0 |`,
    `| Client ping on an idle WebSocket | 0 (relayed by the Worker holding the socket) | 0 (runtime auto-response) | 0 | 0 |`,
    `| Long poll that times out | 1 | ${COUNTS.longPollTimedOut.fetches} fetch | 0 | 0 |`,
    `| Inbox notification (connected or not) | 1 | ${COUNTS.notify.rpc} RPC | ${COUNTS.notify.rowsRead}+ (grows with the inbox) | ${COUNTS.notify.rowsWritten} |`,
    `| Acknowledgement on a WebSocket (\`ack\` frame, at most 1/s per client, only after inbox items) | 0 | ${COUNTS.ackFrame.webSocketMessages} message (1/${p.wsMessagesPerRequest} request) | ${COUNTS.ackFrame.rowsRead} | ${COUNTS.ackFrame.rowsWritten} |`,
    `| Acknowledgement over HTTP (\`POST /v1/acks\`, SSE and poll clients) | 1 | ${COUNTS.ackHttp.rpc} RPC | ${COUNTS.ackHttp.rowsRead} | ${COUNTS.ackHttp.rowsWritten} |`,
    `| Mark one item read (and its \`inbox.changed\`) | 1 | ${COUNTS.markRead.rpc} RPC | ${COUNTS.markRead.rowsRead} | ${COUNTS.markRead.rowsWritten} |`,
    '',
    `Assumed, not counted: ${a.workerCpuMs} ms of Worker CPU per request, an object billed ${a.objectActiveMs} ms at ${a.objectMemoryGb * 1024} MB per invocation (duration is billed only while it runs: an object that can hibernate is not billed while idle), retention of ${a.retentionEvents} events or ${a.retentionDays} days and dedupe keys for ${a.dedupeDays} days (the defaults), ${a.sessionHours}-hour tokens, heartbeats every ${a.heartbeatSeconds} s and client pings every ${a.pingSeconds} s at ${a.heartbeatCpuMs} ms of Worker CPU each, long polls of ${a.longPollSeconds} s.`,
    '',
    `- **Per million notifications**, at ${perMillion} events per user per hour. Most of it is SQLite: ${COUNTS.publish.rowsWritten} rows to store an event and, at 10/h, ${pruneRowsPerEvent(10)} more in the two prune alarms that delete it and its dedupe key (${money(stored)} per million; counted on workerd: an alarm deleting an event by count writes ${COUNTS.pruneByCount.rowsWritten} rows, one deleting a key ${COUNTS.pruneKey.rowsWritten}, the schedule row included). Under 30 events an hour a user gets two prune alarms per event, the event's and its key's; above that, prunes run at most once a minute. Fan-out costs nothing: outgoing WebSocket messages are not billed, so a notification to a user with three tabs costs what one to an offline user costs.`,
    `- **Per idle connected user per month** — WebSocket: **${money(webSocketIdle)}** (the Worker holds the socket, billed for the CPU of relaying pings only; the object holds a hibernated bridge socket whose pings the runtime answers; and the two alarm wakes per session, the warning and the end). SSE: **${money(sseIdle)}** (the Worker holds the stream, billed for the CPU of its heartbeats only; the object holds a hibernated bridge socket). Long polling: **${money(pollIdle)}** (a Worker request and an object fetch every ${a.longPollSeconds} s).`,
    `- **Batch publish** saves a Worker request and its signature check per user after the first: ${money(batchSaves)} per million recipients, about ${Math.round((batchSaves / (costPerEvent(10) * 1e6)) * 100)}% of a notification at 10/h; the object side (the RPC, the rows) is the same per user.`,
    `- For comparison, an SSE stream held open inside a Durable Object would keep it awake the whole month: ${money(SECONDS_PER_MONTH * a.objectMemoryGb * (p.doGbSecondsPerMillion / 1e6))} per user at 128 MB.`,
    `- What changed: since the events, dedupe and schedule tables became \`WITHOUT ROWID\` tables clustered on their primary keys (schema version 5), storing an event writes ${COUNTS.publish.rowsWritten} rows, not 5. Dropping the dedupe keys' age index would make it 2, at the price of a scan of the user's keys on each prune.`,
  ];
}
