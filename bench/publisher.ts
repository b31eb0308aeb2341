// The bench publisher: open-loop at a fixed rate. Event k is due at
// t0 + k/rate and carries that intended time, so latency counts any delay the
// publisher itself suffers. Reports how far behind schedule it fell.

import { createHmac } from 'node:crypto';
import { Agent, request } from 'undici';
import type { Target } from './designs.ts';
import { now } from './lib.ts';

/** Unanswered publishes, in seconds of the rate, after which a step is abandoned. */
const MAX_BACKLOG_SECONDS = 3;

export type PublisherCommand = { cmd: 'run'; target: Target; rate: number; seconds: number; plan: string[]; startSeq: number };

function signer(secret: string) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return (id: string, timestamp: string, body: string) =>
    `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

process.on('message', async (message: PublisherCommand) => {
  const { target, rate, seconds, plan, startSeq } = message;
  const agent = new Agent({ connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });
  const sign = target.webhookSecret ? signer(target.webhookSecret) : null;
  const total = Math.round(rate * seconds);
  let failed = 0;
  let inFlight = 0;
  let maxLagMs = 0;
  let aborted = false;
  const published: Array<[number, string]> = [];
  const pending: Array<Promise<void>> = [];

  const send = (seq: number, userId: string, intended: number): Promise<void> => {
    const payload = JSON.stringify({ s: seq, t: intended });
    let url: string;
    let body: string;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (target.kind === 'hub') {
      url = `${target.publishUrl}/v1/users/${userId}/events`;
      body = `{"userId":${JSON.stringify(userId)},"type":"n","data":${payload}}`;
      const id = `b${seq}`;
      const timestamp = String(Math.floor(Date.now() / 1000));
      Object.assign(headers, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': sign!(id, timestamp, body) });
    } else if (target.kind === 'socketio') {
      url = `${target.publishUrl}/publish`;
      body = JSON.stringify({ userId, data: payload });
    } else {
      url = `${target.publishUrl}/pub/${userId}`;
      body = payload;
    }
    inFlight++;
    return request(url, { method: 'POST', headers, body, dispatcher: agent })
      .then(async (response) => {
        await response.body.dump();
        if (response.statusCode >= 300) failed++;
        else published.push([seq, userId]);
      })
      .catch(() => {
        failed++;
      })
      .finally(() => inFlight--);
  };

  const t0 = now() + 50;
  let k = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      const due = Math.min(total, Math.floor(((t - t0) * rate) / 1000) + 1);
      for (; k < due; k++) {
        const intended = t0 + (k * 1000) / rate;
        maxLagMs = Math.max(maxLagMs, t - intended);
        pending.push(send(startSeq + k, plan[k % plan.length]!, intended));
      }
      // A design this far behind has broken: stop, so the step ends by itself.
      if (inFlight > rate * MAX_BACKLOG_SECONDS) aborted = true;
      if (k >= total || aborted) resolve();
      else setTimeout(tick, 1);
    };
    setTimeout(tick, 50);
  });
  await Promise.all(pending);
  await agent.close();
  process.send!({ published, failed, maxLagMs, aborted, unsent: total - k });
});
