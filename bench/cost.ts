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

const SECONDS_PER_MONTH = 30 * 24 * 3600;
const money = (n: number) => (n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);

export function costModel(): string[] {
  const p = PRICES;
  // One publish: the Worker's request (~1 ms CPU), one RPC to the actor, rows
  // written (event + dedupe key, each with its primary key index), the actor
  // awake for ~5 ms at 128 MB.
  const publish =
    p.workerRequestsPerMillion + p.workerCpuPerMillionMs * 1 + p.doRequestsPerMillion + p.sqliteRowsWrittenPerMillion * 4 + p.doGbSecondsPerMillion * 0.128 * 0.005;
  // Idle WebSocket: hibernated; client pings every 25 s are answered by the runtime's auto-response.
  const wsIdle = 0;
  // Idle SSE: the Worker holds the stream (CPU only: a heartbeat write every 15 s, ~0.05 ms);
  // the actor holds a hibernated bridge socket.
  const sseIdle = (SECONDS_PER_MONTH / 15) * 0.05 * (p.workerCpuPerMillionMs / 1e6);
  // Long poll: every 25 s, one Worker request, one actor RPC and one bridge upgrade (a DO request).
  const polls = SECONDS_PER_MONTH / 25;
  const pollIdle = (polls * (p.workerRequestsPerMillion + 2 * p.doRequestsPerMillion)) / 1e6;
  return [
    '## Cost at scale on Cloudflare',
    '',
    `Computed from Cloudflare's published prices (Workers Paid: ${money(p.workerRequestsPerMillion)} per million requests, ${money(p.workerCpuPerMillionMs)} per million CPU-ms; Durable Objects: ${money(p.doRequestsPerMillion)} per million requests, ${money(p.doGbSecondsPerMillion)} per million GB-s of duration, SQLite ${money(p.sqliteRowsWrittenPerMillion)} per million rows written), before the plan's included allowances:`,
    '',
    `- **Per million notifications: about ${money(publish)}**, most of it SQLite row writes (the event and its dedupe key, with their indexes), then the Worker request and the actor RPC. Fan-out to the user's connections costs nothing extra: outgoing WebSocket messages are not billed.`,
    `- **Per idle connected user per month** — WebSocket: **${money(wsIdle)}** (the actor hibernates; pings are answered by the runtime's auto-response without waking it). SSE: **${money(sseIdle)}** (the Worker holds the stream and pays only the CPU of a heartbeat every 15 s; the actor holds a hibernated bridge socket). Long polling: **${money(pollIdle)}** (a Worker request, an actor RPC and a bridge upgrade every 25 s).`,
    `- For comparison, an SSE stream held open inside a Durable Object would keep it awake the whole month: ${money(SECONDS_PER_MONTH * 0.128 * (p.doGbSecondsPerMillion / 1e6))} per user at 128 MB.`,
  ];
}
