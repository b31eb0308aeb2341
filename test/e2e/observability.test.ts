// Logs and metrics of a real standalone Node host, started here so its whole
// output can be read: the JSON lines a connect, a publish and a reject write,
// no credential anywhere in them, and GET /metrics counting the same traffic.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createInbox } from '../helpers/inbox.ts';
import { publishRequest, tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { startStandalone, type StandaloneProcess } from '../hosts/standalone.ts';

const METRICS_TOKEN = 'metrics-token-0123456789-do-not-log';
/** Looks like a ticket, is not one: its text must not reach the logs either. */
const FAKE_TICKET = 'eyJmYWtlIjoidGlja2V0In0.ZmFrZS10aWNrZXQtc2VjcmV0LXRleHQ';

let host: StandaloneProcess;

beforeAll(async () => {
  host = await startStandalone('node', { ...TEST_VARS, METRICS_TOKEN, LOG_LEVEL: 'debug' }); // debug: the line per publish too
});

afterAll(async () => {
  await host?.stop();
});

type LogRecord = Record<string, unknown> & { time: string; level: string; event: string };

function records(): LogRecord[] {
  return host
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogRecord);
}

/** The first log record matching `fields`, waited for (lines may trail the responses). */
async function logged(fields: Record<string, unknown>, timeoutMs = 5000): Promise<LogRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = records().find((r) => Object.entries(fields).every(([k, v]) => r[k] === v));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no log line with ${JSON.stringify(fields)} in:\n${host.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function metrics(): Promise<Map<string, number>> {
  const response = await fetch(`${host.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('Content-Type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

async function openSocket(url: string, protocols: string[] = []) {
  const ws = new WebSocket(url, protocols);
  const frames = createInbox<{ id?: string; type: string }>();
  ws.on('message', (data) => frames.push(JSON.parse(String(data))));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, frames };
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('observability of the standalone Node host', () => {
  it('logs connects, publishes and rejects as JSON, counts them in /metrics, and logs no credential', async () => {
    const user = uniqueUser('obs');
    const token = await tokenFor(user);
    const wsBase = host.url.replace(/^http/, 'ws');

    // A WebSocket with the token in its subprotocol, and one with a ticket in its URL.
    const first = await openSocket(`${wsBase}/v1/connect`, ['userhub.v1', `userhub.token.${token}`]);
    const issued = await fetch(`${host.url}/v1/tickets`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    const { ticket } = (await issued.json()) as { ticket: string };
    const second = await openSocket(`${wsBase}/v1/connect?ticket=${encodeURIComponent(ticket)}`);
    expect((await first.frames.next()).type).toBe('hub.ready');
    expect((await second.frames.next()).type).toBe('hub.ready');

    // A parked long poll: a waiter until the publish releases it.
    const poll = fetch(`${host.url}/v1/poll?wait=10`, { headers: { Authorization: `Bearer ${token}` } });
    const waiting = await until(metrics, (m) => m.get('userhub_long_poll_waiters{kind="events"}') === 1);
    expect(waiting.get('userhub_long_poll_waiters{kind="events"}')).toBe(1);
    expect(waiting.get('userhub_connections{transport="websocket"}')).toBe(2);
    expect(waiting.get('userhub_actors')).toBeGreaterThanOrEqual(1);

    const request = await publishRequest(host.url, user, 'export.ready', { zip: 'a.zip' });
    const signature = request.headers.get('webhook-signature')!;
    const published = await fetch(request);
    expect(await published.json()).toEqual({ id: '1', delivered: 3 });
    expect((await first.frames.next()).id).toBe('1');
    expect((await second.frames.next()).id).toBe('1');
    expect((await poll).status).toBe(200);

    // Rejects: a ticket that is not one in the URL, and a token that is not one in a header.
    expect((await fetch(`${host.url}/v1/events?ticket=${FAKE_TICKET}&after=0`)).status).toBe(401);
    expect((await fetch(`${host.url}/v1/poll`, { headers: { Authorization: `Bearer ${token}x` } })).status).toBe(401);
    expect((await fetch(`${host.url}/metrics`)).status).toBe(401);

    const m = await metrics();
    expect(m.get('userhub_connections{transport="websocket"}')).toBe(2);
    expect(m.get('userhub_connections_opened_total{transport="websocket"}')).toBe(2);
    expect(m.get('userhub_long_poll_waiters{kind="events"}')).toBe(0);
    expect(m.get('userhub_events_published_total')).toBe(1);
    expect(m.get('userhub_events_delivered_total')).toBe(3);
    expect(m.get('userhub_publishes_duplicate_total')).toBe(0);
    expect(m.get('userhub_rejects_total{code="unauthorized",status="401"}')).toBe(3);

    first.ws.close();
    second.ws.close();
    const closed = await until(metrics, (s) => s.get('userhub_connections{transport="websocket"}') === 0);
    expect(closed.get('userhub_connections{transport="websocket"}')).toBe(0);

    // The log lines, with the fields each event promises.
    const connect = await logged({ event: 'connect', userId: user });
    expect(connect).toMatchObject({ level: 'info', transport: 'websocket' });
    expect(Date.parse(connect.time)).not.toBeNaN();
    expect(await logged({ event: 'publish', userId: user })).toMatchObject({
      level: 'debug',
      eventId: '1',
      delivered: 3,
      duplicate: false,
    });
    expect(await logged({ event: 'reject', route: '/v1/events' })).toMatchObject({
      level: 'warn',
      status: 401,
      code: 'unauthorized',
      method: 'GET',
      path: '/v1/events?ticket=[redacted]&after=0',
    });
    expect(await logged({ event: 'reject', route: '/v1/poll' })).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await logged({ event: 'reject', route: '/metrics' })).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await logged({ event: 'disconnect', userId: user })).toMatchObject({ transport: 'websocket' });
    expect(records().filter((r) => r.event === 'disconnect' && r.userId === user)).toHaveLength(2);

    // Every line is one JSON object, and no credential appears anywhere in the output.
    const output = host.output();
    for (const line of output.split('\n').filter((l) => l.trim() !== '')) {
      expect(() => JSON.parse(line), line).not.toThrow();
    }
    for (const secret of [
      token,
      token.split('.')[2]!,
      ticket,
      ticket.split('.').at(-1)!,
      FAKE_TICKET,
      TEST_VARS.JWT_SECRET,
      TEST_VARS.WEBHOOK_SECRET,
      TEST_VARS.WEBHOOK_SECRET.slice('whsec_'.length),
      signature.slice('v1,'.length),
      METRICS_TOKEN,
    ]) {
      expect(output.includes(secret), `the output contains ${secret}`).toBe(false);
    }
  });
});
