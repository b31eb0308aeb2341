// Hostile requests around a valid body: ids out of range or with bad
// characters, bad resume points and query parameters, bad signatures, query
// and header floods, wrong methods and unknown routes, foreign origins.

import { utf8 } from '../../src/shared/base64.ts';
import { bearer, eventsPath, jobPath, makeCases, signed } from './hostile-case-builder.ts';
import type { HttpCase } from './hostile-corpus.ts';
import type { Random } from './seeded-random.ts';

export const BAD_ID_CHARS = [' ', '/', '\\', '"', "'", '<', '>', ';', ',', '#', '?', '%', '*', '!', '~', '$', '&', '(', ')', '[', ']', '{', '}', '^', '`', 'é', '🙂', '\t', '\n'];

export function ids(random: Random): HttpCase[] {
  const m = makeCases('ids', random);
  const encode = encodeURIComponent;
  // Ids out of range, starting with punctuation, or holding a character
  // outside the charset; `base` is a genuine id (a target's, for users).
  const badIds = (base: string) => [
    'u'.repeat(129),
    'u'.repeat(300),
    ...['.', '-', '@', ':', '|', '+', '='].map((char) => `${char}${base}`),
    ...BAD_ID_CHARS.map((char) => `${base}${char}x`),
  ];
  const count = badIds('x').length;
  for (let i = 0; i < count; i++) {
    m.add(`publish to user id ${JSON.stringify(badIds('<target>')[i]!.slice(0, 40))}`, [400, 404], (c) =>
      signed('POST', eventsPath(encode(badIds(c.targets[0]!)[i]!)), '{"type":"a"}'),
    );
  }
  for (const id of badIds('job')) {
    m.add(`job update of job id ${JSON.stringify(id.slice(0, 40))}`, [400, 404], (c) =>
      signed('PUT', jobPath(c.targets[0]!, encode(id)), '{"status":"queued"}'),
    );
  }
  for (const id of ['j'.repeat(129), '.j', 'j j', 'j/x', 'é', '%25']) {
    m.add(`client read of job id ${JSON.stringify(id.slice(0, 40))}`, [400, 404], async (c) => ({
      method: 'GET',
      path: `/v1/jobs/${encode(id)}`,
      headers: bearer(c, c.targets[0]!),
    }));
  }
  m.add('presence of user id "a b"', [400, 404], () => signed('GET', '/v1/users/a%20b/presence', ''));
  m.add('presence of a 129-character user id', [400], () => signed('GET', `/v1/users/${'u'.repeat(129)}/presence`, ''));
  // A seeded bad character at a seeded place in a target's id.
  for (let i = 0; i < 20; i++) {
    const char = random.pick(BAD_ID_CHARS);
    const at = 1 + random.int(8);
    m.add(`publish to a target id with ${JSON.stringify(char)} at ${at}`, [400, 404], (c) => {
      const user = m.target(c, i);
      return signed('POST', eventsPath(encode(user.slice(0, at) + char + user.slice(at))), '{"type":"a"}');
    });
  }
  return m.cases;
}

const BAD_EVENT_IDS = [
  '-1', '-0', '9007199254740992', '99999999999999999', '1'.repeat(400), '1e309', '1e3', '0x10', '+1', '%201', '1%20',
  '01', '1.5', '1,2', 'abc', 'NaN', 'Infinity', 'null', '%EF%BC%91', '[]',
];

export function queryParams(random: Random): HttpCase[] {
  const m = makeCases('query-params', random);
  for (const after of BAD_EVENT_IDS) {
    m.add(`poll after=${after.slice(0, 30)}`, [400], async (c) => ({ method: 'GET', path: `/v1/poll?after=${after}`, headers: bearer(c, c.targets[0]!) }));
    m.add(`SSE after=${after.slice(0, 30)}`, [400], async (c) => ({ method: 'GET', path: `/v1/events?after=${after}`, headers: bearer(c, c.targets[1 % c.targets.length]!) }));
    // A header value cannot carry what HTTP trims (spaces) or what is not a byte (U+FF11).
    const header = decodeURIComponent(after);
    if (header.trim() !== header || /[^\x00-\xff]/.test(header)) continue;
    m.add(`SSE Last-Event-ID ${after.slice(0, 30)}`, [400], async (c) => ({
      method: 'GET',
      path: '/v1/events',
      headers: { ...bearer(c, c.targets[2 % c.targets.length]!), 'Last-Event-ID': header },
    }));
  }
  for (const after of ['-1', '1e309', 'abc', '9007199254740992', '0x10']) {
    m.add(`WebSocket after=${after}`, [400], async (c) => ({ method: 'GET', path: `/v1/connect?after=${after}`, headers: bearer(c, c.targets[0]!) }), {
      via: 'upgrade',
    });
  }
  const params: Array<[string, string]> = [
    ['/v1/poll', 'wait=31'], ['/v1/poll', 'wait=-1'], ['/v1/poll', 'wait=1e1'], ['/v1/poll', 'wait=0.0001'],
    ['/v1/poll', 'wait=abc'], ['/v1/poll', 'wait=100'], ['/v1/poll', 'limit=0'], ['/v1/poll', 'limit=101'],
    ['/v1/poll', 'limit=-1'], ['/v1/poll', 'limit=1e2'], ['/v1/poll', 'limit=abc'], ['/v1/poll', 'after=1&after=2'],
    ['/v1/jobs', 'status=done'], ['/v1/jobs', 'status=SUCCEEDED'], ['/v1/jobs', 'limit=0'], ['/v1/jobs', 'limit=101'],
    ['/v1/jobs', 'status=queued&status=running'], ['/v1/jobs/j1', 'version=-1'], ['/v1/jobs/j1', 'version=1e3'],
    ['/v1/jobs/j1', 'version=abc'], ['/v1/jobs/j1', `version=${'9'.repeat(16)}`], ['/v1/jobs/j1', 'wait=31'],
    ['/v1/jobs/j1', 'wait=-1'],
  ];
  for (const [path, query] of params) {
    m.add(`${path}?${query}`, [400], async (c) => ({ method: 'GET', path: `${path}?${query}`, headers: bearer(c, c.targets[0]!) }));
  }
  for (let i = 0; i < 10; i++) {
    const junk = Array.from({ length: 1 + random.int(12) }, () => random.pick([...'abc-+.eE,x%20_'])).join('');
    m.add(`poll after=${junk}`, [400], async (c) => ({ method: 'GET', path: `/v1/poll?after=1${junk}`, headers: bearer(c, c.targets[0]!) }));
  }
  return m.cases;
}

export function signatures(random: Random): HttpCase[] {
  const m = makeCases('signature', random);
  const body = () => JSON.stringify({ type: 'a', data: { n: random.int(1e6) } });
  const now = () => Math.floor(Date.now() / 1000);
  const wrongSecrets = ['whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==', 'whsec_dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg4', 'whsec_AA=='];
  for (const secret of wrongSecrets) m.publish(`signed with another secret (${secret.slice(0, 12)}…)`, [401], body(), { secret });
  const timestamps: Array<[string, () => number | string]> = [
    ['301 s old', () => now() - 301], ['10 minutes old', () => now() - 600], ['a day old', () => now() - 86_400],
    ['0', () => 0], ['1', () => 1], ['301 s ahead', () => now() + 301], ['an hour ahead', () => now() + 3600],
    ['99999999999', () => 99_999_999_999], ['in milliseconds', () => Date.now()], ['"abc"', () => 'abc'],
    ['"-5"', () => '-5'], ['"1e9"', () => '1e9'], ['a decimal', () => `${now()}.5`], ['empty', () => ''],
  ];
  for (const [name, timestamp] of timestamps) {
    const index = random.int(1000);
    const text = body();
    m.add(`timestamp ${name}`, [401], (c) => signed('POST', eventsPath(m.target(c, index)), text, { timestamp: timestamp() }));
  }
  for (const drop of [['webhook-id'], ['webhook-timestamp'], ['webhook-signature'], ['webhook-id', 'webhook-timestamp', 'webhook-signature']]) {
    m.publish(`without ${drop.join(', ')}`, [401], body(), { drop });
  }
  const mangle: Array<[string, (signature: string) => string]> = [
    // The last character is base64 padding, which decoders may leave out: cut into the MAC itself.
    ['missing its last MAC character', (s) => s.slice(0, -2)],
    ['truncated by ten characters', (s) => s.slice(0, -10)],
    ['cut to "v1,"', () => 'v1,'],
    ['cut to "v1"', () => 'v1'],
    ['with scheme v2', (s) => s.replace('v1,', 'v2,')],
    ['with scheme V1', (s) => s.replace('v1,', 'V1,')],
    ['not base64', () => 'v1,not*base64!'],
    ['of 16 bytes', (s) => `v1,${s.slice(3, 27)}`],
    ['nine wrong entries', () => Array.from({ length: 9 }, (_, i) => `v1,${btoa(String.fromCharCode(...new Array(32).fill(i)))}`).join(' ')],
  ];
  for (const [name, change] of mangle) {
    const index = random.int(1000);
    const text = body();
    m.add(`signature ${name}`, [401], async (c) => {
      const request = await signed('POST', eventsPath(m.target(c, index)), text);
      request.headers!['webhook-signature'] = change(request.headers!['webhook-signature']!);
      return request;
    });
  }
  m.publish('signature over another body', [401], body(), { signOver: body() });
  m.add('signature over another webhook-id', [401], async (c) => {
    const request = await signed('POST', eventsPath(c.targets[0]!), '{"type":"a"}');
    request.headers!['webhook-id'] = `${request.headers!['webhook-id']}x`;
    return request;
  });
  m.add('signature over another timestamp', [401], async (c) => {
    const request = await signed('POST', eventsPath(c.targets[0]!), '{"type":"a"}');
    request.headers!['webhook-timestamp'] = String(Number(request.headers!['webhook-timestamp']) - 1);
    return request;
  });
  for (const webhookId of ['msg 1', 'x'.repeat(129), '']) {
    m.publish(`webhook-id ${JSON.stringify(webhookId.slice(0, 20))}`, [401], body(), { webhookId });
  }
  for (let i = 0; i < 12; i++) {
    const garbage = btoa(String.fromCharCode(...Array.from({ length: 32 }, () => random.int(256))));
    m.publish(`a random signature (${i})`, [401], body(), { headers: { 'webhook-signature': `v1,${garbage}` } });
  }
  m.add('presence with another secret', [401], (c) => signed('GET', `/v1/users/${c.targets[0]}/presence`, '', { secret: wrongSecrets[0] }));
  m.add('presence unsigned', [401], async (c) => ({ method: 'GET', path: `/v1/users/${c.targets[0]}/presence` }));
  // Ending sessions and erasing: unsigned, signed the unbound way, or a signature captured for another user.
  for (const path of ['/connections', '/connections?revoke=true', '']) {
    const name = `DELETE /v1/users/TARGET${path}`;
    m.add(`${name} unsigned`, [401], async (c) => ({ method: 'DELETE', path: `/v1/users/${c.targets[0]}${path}` }));
    m.add(`${name} with a client token`, [401], async (c) => ({ method: 'DELETE', path: `/v1/users/${c.targets[0]}${path}`, headers: bearer(c, c.targets[0]!) }));
    m.add(`${name} signed over an empty body`, [401], (c) => signed('DELETE', `/v1/users/${c.targets[0]}${path}`, ''));
    m.add(`${name} signed for another user`, [401], (c) =>
      signed('DELETE', `/v1/users/${c.targets[0]}${path}`, '', { signOver: `DELETE /v1/users/${c.targets[1] ?? 'someone-else'}${path}` }),
    );
  }
  m.add('presence with a client token', [401], async (c) => ({ method: 'GET', path: `/v1/users/${c.targets[0]}/presence`, headers: bearer(c, c.targets[0]!) }));
  m.add('publish with a client token', [401], async (c) => ({
    method: 'POST',
    path: eventsPath(c.targets[0]!),
    headers: { ...bearer(c, c.targets[0]!), 'Content-Type': 'application/json' },
    body: utf8.encode('{"type":"a"}'),
  }));
  m.putJob('job update with a stale timestamp', [401], '{"status":"queued"}', { timestamp: Math.floor(Date.now() / 1000) - 3600 });
  m.batch('batch with another secret', [401], (t) => JSON.stringify({ userIds: t, type: 'a' }), { secret: wrongSecrets[0] });
  return m.cases;
}
export function flooding(random: Random): HttpCase[] {
  const m = makeCases('flooding', random);
  const many = (count: number, make: (i: number) => string) => Array.from({ length: count }, (_, i) => make(i)).join('&');
  m.add('2,000 after= on poll', [400], async (c) => ({ method: 'GET', path: `/v1/poll?${many(2000, () => 'after=1')}`, headers: bearer(c, c.targets[0]!) }));
  m.add('1,500 distinct params and a bad after on poll', [400], async (c) => ({
    method: 'GET',
    path: `/v1/poll?${many(1500, (i) => `p${i}=1`)}&after=-1`,
    headers: bearer(c, c.targets[0]!),
  }));
  m.add('1,500 params on an unsigned publish', [401], async (c) => ({
    method: 'POST',
    path: `${eventsPath(c.targets[0]!)}?${many(1500, (i) => `p${i}=1`)}`,
    headers: { 'Content-Type': 'application/json' },
    body: utf8.encode('{"type":"a"}'),
  }));
  m.add('1,000 tickets on SSE', [401], async () => ({ method: 'GET', path: `/v1/events?${many(1000, (i) => `ticket=t${i}`)}` }));
  m.add('a 12 KB user id', [400], () => signed('POST', eventsPath('u'.repeat(12_000)), '{"type":"a"}'));
  m.add('a 12 KB job id', [400], (c) => signed('PUT', jobPath(c.targets[0]!, 'j'.repeat(12_000)), '{"status":"queued"}'));
  m.add('a 12 KB client job id', [400], async (c) => ({ method: 'GET', path: `/v1/jobs/${'j'.repeat(12_000)}`, headers: bearer(c, c.targets[0]!) }));
  m.add('a 12 KB after on SSE', [400], async (c) => ({ method: 'GET', path: `/v1/events?after=${'1'.repeat(12_000)}`, headers: bearer(c, c.targets[0]!) }));
  m.add('a 12 KB path', [404], async () => ({ method: 'GET', path: `/v1/${'x/'.repeat(6000)}` }));
  m.add('100 extra headers on an unsigned publish', [401], async (c) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    for (let i = 0; i < 100; i++) headers[`x-pad-${i}`] = 'y'.repeat(40);
    return { method: 'POST', path: eventsPath(c.targets[0]!), headers, body: utf8.encode('{"type":"a"}') };
  });
  m.add('an 8 KB bearer token', [401], async () => ({ method: 'GET', path: '/v1/poll', headers: { Authorization: `Bearer ${'a'.repeat(8000)}` } }));
  m.add('an 8 KB signature header', [401], async (c) => {
    const request = await signed('POST', eventsPath(c.targets[0]!), '{"type":"a"}');
    request.headers!['webhook-signature'] = Array.from({ length: 180 }, () => `v1,${'A'.repeat(43)}=`).join(' ');
    return request;
  });
  for (let i = 0; i < 6; i++) {
    const count = 500 + random.int(1500);
    m.add(`${count} repeated limit= on the job list`, [400], async (c) => ({ method: 'GET', path: `/v1/jobs?${many(count, () => 'limit=5')}`, headers: bearer(c, c.targets[0]!) }));
  }
  return m.cases;
}

const ROUTES: Array<[string, string[]]> = [
  ['/v1/health', ['GET']],
  ['/v1/tickets', ['POST']],
  ['/v1/connect', ['GET']],
  ['/v1/events', ['GET']],
  ['/v1/poll', ['GET']],
  ['/v1/jobs', ['GET']],
  ['/v1/jobs/j1', ['GET']],
  ['/v1/users/TARGET/events', ['POST']],
  ['/v1/users/TARGET/jobs/j1', ['PUT']],
  ['/v1/users/TARGET/presence', ['GET']],
  ['/v1/events:batch', ['POST']],
];

export function methods(random: Random): HttpCase[] {
  const m = makeCases('method', random);
  for (const [route, allowed] of ROUTES) {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      if (allowed.includes(method)) continue;
      m.add(`${method} ${route}`, [405], async (c) => ({
        method,
        path: route.replace('TARGET', c.targets[0]!),
        headers: { 'Content-Type': 'application/json' },
        body: method === 'GET' ? undefined : utf8.encode('{"type":"a","status":"queued","userIds":[]}'),
      }));
    }
  }
  // `/` is the front door (GET only): every other method of it is unknown.
  m.add('POST /', [404], async () => ({ method: 'POST', path: '/', headers: { 'Content-Type': 'application/json' }, body: utf8.encode('{"type":"a"}') }));
  for (const path of ['/index.html', '/v1', '/v1/', '/v2/events', '/v1/users/TARGET/events/extra', '/v1/jobs/a/b', '/v1/events:batchx', '/v1/users//events', '/v1/EVENTS']) {
    m.add(`GET ${path}`, [404], async (c) => ({ method: 'GET', path: path.replace('TARGET', c.targets[0]!) }));
    m.add(`POST ${path}`, [404], async (c) => ({
      method: 'POST',
      path: path.replace('TARGET', c.targets[0]!),
      headers: { 'Content-Type': 'application/json' },
      body: utf8.encode('{"type":"a"}'),
    }));
  }
  // The user itself answers DELETE (erase) only, signed.
  for (const method of ['GET', 'POST'] as const) {
    m.add(`${method} /v1/users/TARGET`, [405], async (c) => ({ method, path: `/v1/users/${c.targets[0]!}` }));
  }
  m.add('GET /v1/connect without an upgrade', [426], async (c) => ({ method: 'GET', path: '/v1/connect', headers: bearer(c, c.targets[0]!) }));
  return m.cases;
}

export function origins(random: Random): HttpCase[] {
  const m = makeCases('origin', random);
  for (const origin of ['https://evil.example', 'null', 'https://app.example.evil.example', 'http://app.example']) {
    m.add(`SSE from Origin ${origin}`, [403], async (c) => ({ method: 'GET', path: '/v1/events', headers: { ...bearer(c, c.targets[0]!), Origin: origin } }));
    m.add(`WebSocket from Origin ${origin}`, [403], async (c) => ({ method: 'GET', path: '/v1/connect', headers: { ...bearer(c, c.targets[0]!), Origin: origin } }), {
      via: 'upgrade',
    });
  }
  return m.cases;
}
