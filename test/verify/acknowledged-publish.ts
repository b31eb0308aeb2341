// Publishing as a careful backend does: one webhook-id per event, retried on
// network errors, 5xx and 429 (after Retry-After) until the service answers
// 202. The id in that answer is the acknowledgement the suites hold it to.

import { publishRequest } from '../helpers/requests.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Acknowledged {
  id: number;
  /** Attempts it took, the first included. */
  attempts: number;
}

/** Resolves with the acknowledged id, or null when every attempt failed. */
export async function publishAcknowledged(
  base: () => string,
  userId: string,
  data: unknown,
  webhookId: string,
  maxAttempts = 20,
): Promise<Acknowledged | null> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let waitMs = 100 * attempt;
    try {
      const response = await fetch(await publishRequest(base(), userId, 'storm', data, { webhookId }), {
        signal: AbortSignal.timeout(15_000),
      });
      if (response.status === 202) return { id: Number(((await response.json()) as { id: string }).id), attempts: attempt };
      await response.body?.cancel();
      if (response.status === 429) waitMs = Number(response.headers.get('Retry-After') ?? 1) * 1000;
      else if (response.status < 500) throw new Error(`publish refused with ${response.status}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('publish refused')) throw err;
      // The host is down or restarting: retry with the same webhook-id.
    }
    await sleep(waitMs);
  }
  return null;
}

export interface Schedule {
  base: () => string;
  users: readonly string[];
  /** Picks an index below `n`: the suite's seeded generator. */
  pick: (n: number) => number;
  events: number;
  ratePerSecond: number;
  publishers: number;
  /** Names this run's webhook-ids, so a rerun never collides with it. */
  tag: string;
  maxAttempts?: number;
  /** `index`: the event's number in the schedule, its data `{ i: index }` and webhook-id `msg_<tag>_<index>`. */
  onAcknowledged(userId: string, ack: Acknowledged, index: number): void;
}

/**
 * Publishes `events` to random users on a fixed schedule (event i is due at
 * i / rate seconds) from several concurrent publishers, each event retried
 * until acknowledged. Resolves with how many never were.
 */
export async function publishOnSchedule(schedule: Schedule): Promise<{ unacknowledged: number }> {
  let next = 0;
  let unacknowledged = 0;
  const started = Date.now();
  const publisher = async () => {
    for (let i = next++; i < schedule.events; i = next++) {
      const due = started + (i * 1000) / schedule.ratePerSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      const userId = schedule.users[schedule.pick(schedule.users.length)]!;
      const ack = await publishAcknowledged(schedule.base, userId, { i }, `msg_${schedule.tag}_${i}`, schedule.maxAttempts);
      if (ack) schedule.onAcknowledged(userId, ack, i);
      else unacknowledged++;
    }
  };
  await Promise.all(Array.from({ length: schedule.publishers }, publisher));
  return { unacknowledged };
}
