import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/core/app.ts';
import type { PublishInput } from '../../src/core/actor/hub.ts';
import type { HubBackend } from '../../src/core/backend.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { webhookHeaders } from '../verify/hub-wire.ts';

/** A host whose only working call is publish; it records what reached it. */
function recordingApp() {
  const published: Array<{ userId: string; input: PublishInput }> = [];
  const backend = new Proxy({} as HubBackend, {
    get: (_target, name) =>
      name === 'actor'
        ? (userId: string) => ({
            publish: async (input: PublishInput) => {
              published.push({ userId, input });
              return { id: String(published.length), delivered: 0 };
            },
          })
        : () => Promise.reject(new Error(`reached ${String(name)}`)),
  });
  const app = createApp(() => backend);
  const post = (body: BodyInit, headers: Record<string, string>) =>
    app.request(
      '/v1/users/john/events',
      { method: 'POST', body, duplex: 'half', headers: { 'Content-Type': 'application/json', ...headers } } as RequestInit,
      TEST_VARS,
    );
  return { published, post };
}

const bytes = (...parts: Array<string | number[]>) =>
  new Uint8Array(parts.flatMap((part) => (typeof part === 'string' ? [...new TextEncoder().encode(part)] : part)));

describe('publish bodies are exactly the bytes that were signed', () => {
  it('refuses a body that is not UTF-8 even when the signature covers its lenient decoding', async () => {
    const { published, post } = recordingApp();
    const body = bytes('{"type":"a","data":"', [0xff, 0xfe], '"}');
    const lossy = new TextDecoder().decode(body); // what a lenient decoder reads: U+FFFD twice
    const response = await post(body, await webhookHeaders(lossy));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    expect(published).toEqual([]);
  });

  it('refuses a body that is not UTF-8 when the signature covers its bytes', async () => {
    const { published, post } = recordingApp();
    const body = bytes('{"type":"a","data":"', [0xed, 0xa0, 0x80], '"}');
    const response = await post(body, await webhookHeaders(body));
    expect(response.status).toBe(400);
    expect(published).toEqual([]);
  });

  it('accepts multi-byte UTF-8 signed over its bytes', async () => {
    const { published, post } = recordingApp();
    const body = bytes('{"userId":"john","type":"a","data":"héllo €🙂"}');
    const response = await post(body, await webhookHeaders(body));
    expect(response.status).toBe(202);
    expect(published.map((p) => p.input.data)).toEqual(['"héllo €🙂"']);
  });

  it('accepts a body that starts with a UTF-8 BOM, signed over its bytes, BOM included', async () => {
    const { published, post } = recordingApp();
    const body = bytes([0xef, 0xbb, 0xbf], '{"userId":"john","type":"a","data":{"n":1}}');
    const response = await post(body, await webhookHeaders(body));
    expect(response.status).toBe(202);
    expect(published.map((p) => p.input.data)).toEqual(['{"n":1}']);
    // The BOM is part of what was signed: the same JSON signed without it is refused.
    const unsigned = await post(body, await webhookHeaders(body.subarray(3)));
    expect(unsigned.status).toBe(401);
  });

  it('reads an oversized body to its end before the 413, and leaves a huge one unread', async () => {
    // Drained, the sender gets the 413 on a usable connection; left unread,
    // @hono/node-server and wrangler's proxy cut the connection mid-upload.
    // Past 8 MiB reading is not worth it and the body is left alone.
    const send = async (size: number) => {
      let pulled = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled >= size) return controller.close();
          const chunk = new Uint8Array(Math.min(64 * 1024, size - pulled)).fill(0x78);
          pulled += chunk.length;
          controller.enqueue(chunk);
        },
      });
      const request = new Request('http://hub.test/v1/users/john/events', {
        method: 'POST',
        body,
        duplex: 'half',
        headers: { ...(await webhookHeaders('x')), 'Content-Type': 'application/json', 'Content-Length': String(size) },
      } as RequestInit);
      const response = await createApp(() => ({}) as HubBackend).request(request, undefined, TEST_VARS);
      return { status: response.status, pulled };
    };
    expect(await send(64 * 1024 + 1)).toEqual({ status: 413, pulled: 64 * 1024 + 1 });
    const huge = await send(9 * 1024 * 1024);
    expect(huge.status).toBe(413);
    expect(huge.pulled).toBeLessThan(1024 * 1024);
  });
});
