import { afterEach, describe, expect, it, vi } from 'vitest';
import { signClientToken } from '../../src/core/auth/client-token.ts';
import { formatLogLine, log, redactUrl, REDACTED, setLogLevel } from '../../src/core/observability/log.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';

afterEach(() => {
  setLogLevel('info');
  vi.restoreAllMocks();
});

describe('structured log lines', () => {
  it('writes one JSON object with time, level and event first, then the fields', () => {
    const line = formatLogLine('info', 'publish', { userId: 'john', eventId: '4', delivered: 2, duplicate: false }, new Date(0));
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      event: 'publish',
      userId: 'john',
      eventId: '4',
      delivered: 2,
      duplicate: false,
    });
  });

  it('does not let a field overwrite time, level or event, and drops undefined fields', () => {
    const record = JSON.parse(formatLogLine('warn', 'reject', { level: 'debug', event: 'x', time: 1, jobId: undefined }));
    expect(record.level).toBe('warn');
    expect(record.event).toBe('reject');
    expect(typeof record.time).toBe('string');
    expect('jobId' in record).toBe(false);
  });

  it('writes below the level set nothing, and errors to stderr', () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    setLogLevel('warn');
    log.info('connect', { userId: 'a' });
    log.warn('reject', { status: 401 });
    log.error('unhandled', { error: 'boom' });
    expect(out).toHaveBeenCalledTimes(1);
    expect(JSON.parse(out.mock.calls[0]![0] as string).event).toBe('reject');
    expect(JSON.parse(err.mock.calls[0]![0] as string).event).toBe('unhandled');
    setLogLevel('off');
    log.error('unhandled');
    expect(err).toHaveBeenCalledTimes(1);
  });
});

describe('redaction', () => {
  it('redacts fields named like credentials, at any depth', () => {
    const record = JSON.parse(
      formatLogLine('info', 'x', {
        token: 'abc',
        ticket: 'def',
        headers: { Authorization: 'Bearer xyz', cookie: 'hub_sse_1=abc', 'webhook-signature': 'v1,abc' },
        JWT_SECRET: 'shh',
        nested: [{ apiKey: 'k', password: 'p' }],
        userId: 'john',
      }),
    );
    expect(record).toEqual({
      time: record.time,
      level: 'info',
      event: 'x',
      token: REDACTED,
      ticket: REDACTED,
      headers: { Authorization: REDACTED, cookie: REDACTED, 'webhook-signature': REDACTED },
      JWT_SECRET: REDACTED,
      nested: [{ apiKey: REDACTED, password: REDACTED }],
      userId: 'john',
    });
  });

  it('redacts tokens, webhook secrets and signatures inside any text', async () => {
    const token = await signClientToken(TEST_VARS.JWT_SECRET, 'john', 600);
    const line = formatLogLine('error', 'unhandled', {
      error: `Error: bad ${token} with ${TEST_VARS.WEBHOOK_SECRET} and v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=`,
      header: `Bearer ${token}`,
      protocol: `userhub.v1, userhub.token.${token}`,
    });
    expect(line).not.toContain(token);
    expect(line).not.toContain(token.split('.')[2]!);
    expect(line).not.toContain(TEST_VARS.WEBHOOK_SECRET);
    expect(line).not.toContain('K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN');
    expect(line).toContain('unhandled');
  });

  it('keeps a URL path and its harmless parameters, and redacts every other query value', () => {
    expect(redactUrl('https://hub.example/v1/events?ticket=t.abc.def&after=42')).toBe(
      `/v1/events?ticket=${REDACTED}&after=42`,
    );
    expect(redactUrl('http://127.0.0.1:8787/v1/connect?token=eyJx.eyJy.z&foo=bar#frag')).toBe(
      `/v1/connect?token=${REDACTED}&foo=${REDACTED}`,
    );
    expect(redactUrl('/v1/poll?after=3&wait=25&limit=10')).toBe('/v1/poll?after=3&wait=25&limit=10');
    expect(redactUrl('https://hub.example')).toBe('/');
  });

  it('redacts credentials in the query string of a URL anywhere in a value', () => {
    const line = formatLogLine('warn', 'x', { url: 'https://hub/v1/events?after=1&ticket=SECRET-TICKET', note: 'see /v1/connect?token=SECRET2' });
    expect(line).not.toContain('SECRET-TICKET');
    expect(line).not.toContain('SECRET2');
    expect(line).toContain('after=1');
  });
});

describe('the publish summary', () => {
  it('writes one publishes line per ten seconds at info, and each publish only at debug', async () => {
    const { createLoggingObserver } = await import('../../src/core/observability/observer.ts');
    const lines: string[] = [];
    const out = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    vi.useFakeTimers({ now: 0 });
    try {
      const observer = createLoggingObserver();
      const publish = (duplicate = false) => observer.published({ userId: 'john', eventId: '1', delivered: 2, duplicate });
      for (let i = 0; i < 100; i++) publish(i % 10 === 0);
      expect(lines).toEqual([]); // within the first ten seconds: counted, not written
      vi.setSystemTime(10_000);
      publish();
      expect(lines.map((line) => JSON.parse(line))).toEqual([
        expect.objectContaining({ level: 'info', event: 'publishes', count: 101, delivered: 202, duplicates: 10, jobUpdates: 0, seconds: 10 }),
      ]);
      setLogLevel('debug');
      publish();
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ level: 'debug', event: 'publish', userId: 'john' });
    } finally {
      vi.useRealTimers();
      out.mockRestore();
    }
  });
});
