import { describe, expect, it } from 'vitest';
import { isUserId, parseEventId } from '../../src/protocol/wire.ts';
import { oneLineJson, sseFrame } from '../../src/core/sse.ts';

describe('SSE framing', () => {
  it('keeps every frame to one data line whatever the payload holds', () => {
    const json = JSON.stringify({ text: 'a\r\nb\u2028c\u2029d' });
    const frame = sseFrame('job.done', json, '7');
    expect(frame).toBe(`id: 7\nevent: job.done\ndata: ${oneLineJson(json)}\n\n`);
    const data = frame.split('\n')[2]!;
    expect(data).not.toMatch(/[\r\u2028\u2029]/);
    expect(JSON.parse(data.slice('data: '.length))).toEqual({ text: 'a\r\nb\u2028c\u2029d' });
  });

  it('omits the id line for control frames so Last-Event-ID stays put', () => {
    expect(sseFrame('hub.ready', '{}')).toBe('event: hub.ready\ndata: {}\n\n');
  });
});

describe('identifiers', () => {
  it('parses resume points strictly', () => {
    expect(parseEventId(undefined)).toBeUndefined();
    expect(parseEventId('')).toBeUndefined();
    expect(parseEventId('0')).toBe(0);
    expect(parseEventId('42')).toBe(42);
    for (const bad of ['-1', '01', '1.5', '1e3', ' 1', 'abc', '99999999999999999']) expect(parseEventId(bad)).toBeNull();
  });

  it('accepts user ids from identity providers and refuses the rest', () => {
    for (const ok of ['john', 'auth0|abc123', 'user@example.com', 'a'.repeat(128), 'org:42:user']) expect(isUserId(ok)).toBe(true);
    for (const bad of ['', ' john', 'a b', 'x'.repeat(129), 'a/b', 'é', '.hidden', 'a\nb']) expect(isUserId(bad)).toBe(false);
  });
});
