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
      name === 'publish'
        ? async (userId: string, input: PublishInput) => {
            published.push({ userId, input });
            return { id: String(published.length), delivered: 0 };
          }
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
    const body = bytes('{"type":"a","data":"héllo €🙂"}');
    const response = await post(body, await webhookHeaders(body));
    expect(response.status).toBe(202);
    expect(published.map((p) => p.input.data)).toEqual(['"héllo €🙂"']);
  });

  it('refuses a declared length over the limit without touching the body stream', async () => {
    // A host can discard a body nobody opened and keep the connection alive;
    // @hono/node-server cannot once the body is a web stream nobody reads.
    let touched = false;
    class WatchedRequest extends Request {
      override get body() {
        touched = true;
        return super.body;
      }
    }
    const headers = await webhookHeaders('x');
    const size = 64 * 1024 + 1;
    const request = new WatchedRequest('http://hub.test/v1/users/john/events', {
      method: 'POST',
      body: 'x'.repeat(size),
      headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(size) },
    });
    const response = await createApp(() => ({}) as HubBackend).request(request, undefined, TEST_VARS);
    expect(response.status).toBe(413);
    expect(touched).toBe(false);
  });
});
