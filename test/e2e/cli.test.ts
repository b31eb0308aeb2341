// The userhub command line against a real host: every publisher request it
// sends is signed in the bound form the service requires by default.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';

const run = promisify(execFile);

describe.each(['node', 'wrangler dev'])('the userhub CLI against %s', (host) => {
  const cli = (...args: string[]) =>
    run('node', ['--disable-warning=ExperimentalWarning', 'src/cli/main.ts', ...args], {
      env: { ...process.env, HUB_URL: inject('hostUrls')[host]!, ...TEST_VARS },
      timeout: 30_000,
    }).then(({ stdout }) => JSON.parse(stdout) as Record<string, unknown>);

  it('publishes, updates a job and reads presence with bound, signed requests', { timeout: 60_000 }, async () => {
    const user = uniqueUser('cli@x');
    expect(await cli('send', '--user', user, '--type', 'export.ready', '--data', '{"zip":"a.zip"}')).toMatchObject({ id: '1' });
    expect(await cli('job', '--user', user, '--id', 'zip-1', '--status', 'running', '--progress', '0.5')).toMatchObject({
      eventId: '2',
      job: { id: 'zip-1', status: 'running' },
    });
    expect(await cli('call', 'POST', `/v1/users/${encodeURIComponent(user)}/events`, '{"type":"raw.call"}')).toMatchObject({ id: '3' });
    expect(await cli('call', 'GET', `/v1/users/${encodeURIComponent(user)}/presence`)).toMatchObject({ online: false });
    const poll = await fetch(`${inject('hostUrls')[host]}/v1/poll?after=0`, { headers: { Authorization: `Bearer ${await tokenFor(user)}` } });
    const { events } = (await poll.json()) as { events: Array<{ type: string }> };
    expect(events.map((event) => event.type)).toEqual(['export.ready', 'job.running', 'raw.call']);
  });

  it('stores a notification in the inbox and prints its receipts', { timeout: 60_000 }, async () => {
    const user = uniqueUser('cli-notify');
    const created = await cli('notify', '--user', user, '--type', 'comment', '--title', 'New comment', '--url', '/posts/1', '--collapse-key', 'post-1');
    expect(created).toMatchObject({ id: '1', delivered: 0 });
    expect(await cli('receipt', '--user', user, '--id', '1')).toMatchObject({
      id: '1',
      type: 'comment',
      title: 'New comment',
      collapseKey: 'post-1',
      deliveredAt: null,
      readAt: null,
    });
  });

  it('ends a user\'s sessions and erases the user', { timeout: 60_000 }, async () => {
    const user = uniqueUser('cli-end');
    const base = inject('hostUrls')[host]!;
    const sse = await fetch(`${base}/v1/events`, { headers: { Authorization: `Bearer ${await tokenFor(user)}` } });
    const reader = sse.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('hub.ready')) text += (await reader.read()).value ?? '';
    expect(await cli('end', '--user', user)).toEqual({ closed: 1 });
    while (!text.includes('hub.closed')) text += (await reader.read()).value ?? '';
    expect(text).toContain('"code":4503');
    await reader.cancel();
    await cli('send', '--user', user, '--type', 'n');
    expect(await cli('erase', '--user', user)).toMatchObject({ events: 1, jobs: 0 });
    expect(await cli('end', '--user', user, '--revoke')).toEqual({ closed: 0 });
  });
});
