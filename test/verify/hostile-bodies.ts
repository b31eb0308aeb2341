// Hostile bodies: broken and non-object JSON, bodies over the size limit,
// deep nesting, bad UTF-8, bad event types, NUL bytes, wrong content types,
// bad batches and bad job updates. Each must be refused, never stored.

import { utf8 } from '../../src/shared/base64.ts';
import { MAX_BATCH_USERS } from '../../src/protocol/wire.ts';
import { bearer, concat, eventsPath, jobPath, makeCases, MAX_EVENT_BYTES, signed } from './hostile-case-builder.ts';
import type { HttpCase } from './hostile-corpus.ts';
import { BAD_ID_CHARS } from './hostile-requests.ts';
import type { Random } from './seeded-random.ts';

const VALID_TYPE_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/-';
const randomType = (random: Random, length = 1 + random.int(20)) =>
  'a' + Array.from({ length: length - 1 }, () => random.pick([...VALID_TYPE_CHARS])).join('');

export function brokenJson(random: Random): HttpCase[] {
  const m = makeCases('broken-json', random);
  const broken = [
    '', ' ', '{', '}', '[', '{"type":"a"', '{"type":"a",}', "{'type':'a'}", '{"type":a}', '{"type":"a"}}',
    '{"type":"a"} x', '{type:"a"}', '{"type":"a","data":NaN}', '{"type":"a","data":Infinity}',
    '{"type":"a","data":undefined}', '{"type":"a","data":01}', '{"type":"a","data":.5}', '{"type":"a","data":"\\x41"}',
    '{"type":"a","data":"\\u12"}', '/*c*/{"type":"a"}', '{"type":"a"}//c', '{"type":"a","data":"line\nbreak"}',
    '{"type":"a","data":"tab\there"}', 'nul', 'tru', '"unterminated', '{"type":"a","data":[1,2,]}',
    '{"type":"a" "data":1}', '{"type":"a",,"data":1}', '{"type":"a":"b"}', '{"type":"a"}{"type":"b"}',
  ];
  for (const body of broken) m.publish(`publish body ${JSON.stringify(body)}`, [400], body);
  const notAnObject = ['null', '[]', '"a"', '42', 'true', '{}', '{"data":1}', '[{"type":"a"}]'];
  for (const body of notAnObject) m.publish(`publish body ${body}`, [400], body);
  for (const body of ['{"status":"queued"', '{"status":queued}', 'null', '[]', '{}']) m.putJob(`job body ${body}`, [400], body);
  // Valid bodies cut short at a seeded position: never JSON any more.
  const templates = [
    '{"type":"export.ready","data":{"zip":"https://example.com/a.zip","n":[1,2,3]}}',
    '{"type":"message.received","data":{"from":"jane","text":"hi"}}',
  ];
  for (let i = 0; i < 24; i++) {
    const template = random.pick(templates);
    const cut = 1 + random.int(template.length - 1);
    m.publish(`publish body cut at ${cut}`, [400], template.slice(0, cut));
  }
  for (let i = 0; i < 6; i++) {
    const template = '{"status":"running","progress":0.5}';
    const cut = 1 + random.int(template.length - 1);
    m.putJob(`job body cut at ${cut}`, [400], template.slice(0, cut));
  }
  for (let i = 0; i < 6; i++) {
    m.batch(`batch body cut short (${i})`, [400], (targets) => {
      const body = JSON.stringify({ userIds: targets, type: 'a', data: 1 });
      return body.slice(0, 1 + ((i * 7919) % (body.length - 1)));
    });
  }
  return m.cases;
}

/** A valid publish body padded to exactly `size` bytes. */
const paddedPublish = (size: number) => {
  const shell = '{"type":"big","data":""}';
  return `{"type":"big","data":"${'x'.repeat(Math.max(0, size - shell.length))}"}`;
};

export function hugeBodies(random: Random): HttpCase[] {
  const m = makeCases('huge-body', random);
  const sizes = [MAX_EVENT_BYTES + 1, MAX_EVENT_BYTES + 1024, 2 * MAX_EVENT_BYTES, 500_000];
  for (let i = 0; i < 4; i++) sizes.push(MAX_EVENT_BYTES + 1 + random.int(4 * MAX_EVENT_BYTES));
  for (const size of sizes) m.publish(`signed publish of ${size} bytes`, [413], paddedPublish(size));
  for (const size of [1024 * 1024, 5 * 1024 * 1024]) {
    m.add(`signed publish of ${size} bytes`, [413], (c) => signed('POST', eventsPath(c.targets[0]!), paddedPublish(size)), {
      mayDrop: true,
    });
  }
  m.add('unsigned publish of 2 MiB', [413], async (c) => ({
    method: 'POST',
    path: eventsPath(c.targets[1 % c.targets.length]!),
    headers: { 'Content-Type': 'application/json' },
    body: utf8.encode(paddedPublish(2 * 1024 * 1024)),
  }), { mayDrop: true });
  m.add('publish of 200 KB streamed without Content-Length', [413], async (c) => {
    const chunk = utf8.encode('x'.repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(utf8.encode('{"type":"big","data":"'));
        if (sent >= 200_000) {
          controller.enqueue(utf8.encode('"}'));
          controller.close();
          return;
        }
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    return { method: 'POST', path: eventsPath(c.targets[0]!), headers: { 'Content-Type': 'application/json' }, body };
  }, { mayDrop: true, ownConnection: true });
  m.putJob('job update of 100 KB', [413], JSON.stringify({ status: 'succeeded', result: 'x'.repeat(100_000) }));
  m.batch('batch of 1,000 users with long ids, over the size limit', [413], () =>
    JSON.stringify({ userIds: Array.from({ length: 1000 }, (_, i) => `u${i}`.padEnd(120, 'x')), type: 'a' }),
  );
  return m.cases;
}

export function deepNesting(random: Random): HttpCase[] {
  const m = makeCases('deep-nesting', random);
  const arrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const objects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  m.publish('10,000 unclosed [', [400], '['.repeat(10_000));
  m.publish('10,000 unclosed {"a":', [400], '{"a":'.repeat(10_000));
  m.publish('a body of 10,000 nested arrays', [400], arrays(10_000));
  m.publish('data of 10,000 nested arrays', [400], `{"type":"a","data":${arrays(10_000)}}`);
  m.publish('data of 20,000 nested arrays', [400], `{"type":"a","data":${arrays(20_000)}}`);
  m.publish('data of 5,000 nested objects', [400], `{"type":"a","data":${objects(5_000)}}`);
  m.publish('data of 33 nested arrays (one past the limit)', [400], `{"type":"a","data":${arrays(33)}}`);
  m.publish('data of 33 nested objects', [400], `{"type":"a","data":${objects(33)}}`);
  for (let i = 0; i < 16; i++) {
    const depth = 33 + random.int(3000);
    const open = Array.from({ length: depth }, () => (random.chance(0.5) ? '[' : '{"k":'));
    const close = open.map((o) => (o === '[' ? ']' : '}')).reverse();
    m.publish(`data of ${depth} mixed levels`, [400], `{"type":"a","data":${open.join('')}0${close.join('')}}`);
  }
  m.putJob('job result of 40 levels', [400], `{"status":"succeeded","result":${arrays(40)}}`);
  m.putJob('job error of 40 levels', [400], `{"status":"failed","error":{"e":${arrays(40)}}}`);
  m.batch('batch data of 40 levels', [400], (t) => `{"userIds":${JSON.stringify(t)},"type":"a","data":${arrays(40)}}`);
  return m.cases;
}

const BAD_UTF8: Array<[string, number[]]> = [
  ['0xFF', [0xff]],
  ['0xFE', [0xfe]],
  ['an overlong "/"', [0xc0, 0xaf]],
  ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
  ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ['a truncated sequence', [0xe2, 0x82]],
  ['a lone continuation byte', [0x80]],
  ['a 5-byte sequence', [0xf8, 0x88, 0x80, 0x80, 0x80]],
];

export function badUtf8(random: Random): HttpCase[] {
  const m = makeCases('bad-utf8', random);
  const lossy = (body: Uint8Array) => new TextDecoder().decode(body);
  for (const [name, sequence] of BAD_UTF8) {
    const bodies: Array<[string, Uint8Array]> = [
      ['in data', concat('{"type":"a","data":"x', sequence, 'y"}')],
      ['in the type', concat('{"type":"a', sequence, '"}')],
      ['in a key', concat('{"type":"a","data":{"', sequence, '":1}}')],
    ];
    for (const [where, body] of bodies) {
      m.publish(`${name} ${where}, signed over the bytes`, [400], body);
      // Signed over what a lenient decoder reads: must not be stored with U+FFFD in it.
      m.publish(`${name} ${where}, signed over the decoded text`, [400], body, { signOver: lossy(body) });
    }
  }
  m.putJob('0xFF in a job result, signed over the decoded text', [400], concat('{"status":"succeeded","result":"', [0xff], '"}'), {
    signOver: lossy(concat('{"status":"succeeded","result":"', [0xff], '"}')),
  });
  m.add('user id %FF', [400, 404], (c) => signed('POST', '/v1/users/%FF/events', '{"type":"a"}'));
  m.add('user id with an invalid %C3%28', [400, 404], (c) => signed('POST', `/v1/users/${c.targets[0]}%C3%28/events`, '{"type":"a"}'));
  m.add('job id %ED%A0%80', [400, 404], (c) => signed('PUT', jobPath(c.targets[0]!, '%ED%A0%80'), '{"status":"queued"}'));
  m.add('client job id %FF', [400, 404], async (c) => ({ method: 'GET', path: '/v1/jobs/%FF', headers: bearer(c, c.targets[0]!) }));
  m.add('after=%FF on poll', [400], async (c) => ({ method: 'GET', path: '/v1/poll?after=%FF', headers: bearer(c, c.targets[0]!) }));
  m.add('after=%FF on SSE', [400], async (c) => ({ method: 'GET', path: '/v1/events?after=%FF', headers: bearer(c, c.targets[0]!) }));
  m.add('Last-Event-ID of byte 0xFF', [400], async (c) => ({
    method: 'GET',
    path: '/v1/events',
    headers: { ...bearer(c, c.targets[0]!), 'Last-Event-ID': '\u00ff' },
  }));
  return m.cases;
}

export function eventTypes(random: Random): HttpCase[] {
  const m = makeCases('event-type', random);
  const types: unknown[] = [
    'a\r\nb', 'a\rb', 'a\nb', 'a\r\nSet-Cookie: x=1', 'a\u0000', '\u0000', 'a b', ' a', 'a\t', 'a\u007f', 'é', 'a\u2028b',
    'a🙂', 'x'.repeat(101), '', 'hub.ready', 'hub.reset', 'hub.', 'hub.anything', 'inbox.created', 'inbox.changed',
    'inbox.', 'job.succeeded', 'job.progress', 'job.', '.a', '-a', '/a', ':a',
    'a;b', 'a,b', 'a"b', 'a\\b', 'a<b>', 1, null, true, {}, [], ['a'],
  ];
  for (const type of types) m.publish(`type ${JSON.stringify(type)}`, [400], JSON.stringify({ type, data: 1 }));
  m.publish('no type', [400], '{"data":1}');
  // Each control character, at a seeded place in an otherwise valid type.
  for (let code = 0; code < 0x20; code++) {
    const type = randomType(random, 4 + random.int(10));
    const at = random.int(type.length + 1);
    m.publish(`type with U+${code.toString(16).padStart(4, '0')}`, [400], JSON.stringify({ type: type.slice(0, at) + String.fromCharCode(code) + type.slice(at), data: 1 }));
  }
  for (let i = 0; i < 10; i++) {
    const type = randomType(random, 101 + random.int(200));
    m.publish(`type of ${type.length} characters`, [400], JSON.stringify({ type }));
  }
  m.batch('batch type with CRLF', [400], (t) => JSON.stringify({ userIds: t, type: 'a\r\nb' }));
  m.batch('batch type hub.ready', [400], (t) => JSON.stringify({ userIds: t, type: 'hub.ready' }));
  m.batch('batch type job.succeeded', [400], (t) => JSON.stringify({ userIds: t, type: 'job.succeeded' }));
  return m.cases;
}

export function nulBytes(random: Random): HttpCase[] {
  const m = makeCases('nul-bytes', random);
  m.publish('raw NUL inside a string', [400], concat('{"type":"a","data":"x', [0], 'y"}'));
  m.publish('raw NUL after the body', [400], concat('{"type":"a"}', [0]));
  m.publish('raw NUL before the body', [400], concat([0], '{"type":"a"}'));
  m.publish('a body of NULs', [400], new Uint8Array(64));
  m.publish('escaped NUL in the type', [400], '{"type":"a\\u0000b"}');
  m.putJob('escaped NUL in the status', [400], '{"status":"queued\\u0000"}');
  m.add('NUL in the user id', [400, 404], (c) => signed('POST', `/v1/users/${c.targets[0]}%00/events`, '{"type":"a"}'));
  m.add('NUL as the user id', [400, 404], () => signed('POST', '/v1/users/%00/events', '{"type":"a"}'));
  m.add('NUL in the job id', [400, 404], (c) => signed('PUT', jobPath(c.targets[0]!, 'j%00'), '{"status":"queued"}'));
  m.add('NUL in after', [400], async (c) => ({ method: 'GET', path: '/v1/poll?after=1%00', headers: bearer(c, c.targets[0]!) }));
  m.add('NUL in a ticket', [401], async () => ({ method: 'GET', path: '/v1/events?ticket=%00' }));
  m.batch('NUL in a batch user id', [400], (t) => JSON.stringify({ userIds: [t[0], `${t[0]}\u0000`], type: 'a' }));
  return m.cases;
}

export function contentTypes(random: Random): HttpCase[] {
  const m = makeCases('content-type', random);
  const types: Array<string | null> = [
    null, '', 'text/plain', 'text/plain;charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
    'application/xml', 'text/json', 'application/jsonp', 'application/json-patch+json', 'application/ld+json',
    'application/json-seq', 'application/octet-stream', 'json', '*/*', 'application/json, text/plain', 'application/jsonx',
  ];
  for (const type of types) {
    m.publish(`publish as ${JSON.stringify(type)}`, [415], '{"type":"a","data":1}', { contentType: type });
  }
  for (const type of [null, 'text/plain', 'application/x-www-form-urlencoded']) {
    m.putJob(`job update as ${JSON.stringify(type)}`, [415], '{"status":"queued"}', { contentType: type });
    m.batch(`batch as ${JSON.stringify(type)}`, [415], (t) => JSON.stringify({ userIds: t, type: 'a' }), { contentType: type });
  }
  return m.cases;
}

export function batches(random: Random): HttpCase[] {
  const m = makeCases('batch', random);
  const body = (userIds: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ userIds, type: 'a', data: 1, ...extra });
  m.batch('no users', [400], () => body([]));
  m.batch(`${MAX_BATCH_USERS + 1} users`, [400], (t) => body(Array.from({ length: MAX_BATCH_USERS + 1 }, (_, i) => `${t[0]}-${i}`)));
  m.batch(`one target ${MAX_BATCH_USERS + 1} times`, [400], (t) => body(new Array(MAX_BATCH_USERS + 1).fill(t[0])));
  m.batch('3,000 users', [400], (t) => body(Array.from({ length: 3000 }, (_, i) => `${t[0]}${i}`)));
  m.batch('userIds a string', [400], (t) => body(t[0]));
  m.batch('userIds an object', [400], (t) => body({ [t[0]!]: true }));
  m.batch('userIds null', [400], () => body(null));
  m.batch('userIds numbers', [400], () => body([1, 2]));
  m.batch('userIds with null', [400], (t) => body([t[0], null]));
  m.batch('targets and one bad id', [400], (t) => body([...t, 'bad id']));
  m.batch('targets and an empty id', [400], (t) => body([...t, '']));
  m.batch('targets and a 129-character id', [400], (t) => body([...t, 'u'.repeat(129)]));
  m.batch('duplicate targets and a bad id', [400], (t) => body([t[0], t[0], t[0], '.bad']));
  m.batch('no userIds', [400], () => JSON.stringify({ type: 'a' }));
  m.batch('no type', [400], (t) => JSON.stringify({ userIds: t }));
  m.batch('an unknown field', [400], (t) => body(t, { priority: 'high' }));
  m.batch('a __proto__ field', [400], (t) => `{"userIds":${JSON.stringify(t)},"type":"a","__proto__":{"x":1}}`);
  for (let i = 0; i < 8; i++) {
    const bad = random.pick(BAD_ID_CHARS);
    const at = random.int(4);
    m.batch(`a target with ${JSON.stringify(bad)} among targets`, [400], (t) => body(t.map((id, k) => (k === at % t.length ? `${id}${bad}` : id))));
  }
  return m.cases;
}

export function jobUpdates(random: Random): HttpCase[] {
  const m = makeCases('job-update', random);
  const bodies: unknown[] = [
    { status: 'done' }, { status: 'SUCCEEDED' }, { status: '' }, { status: null }, { status: 1 }, { status: [] }, {},
    { progress: 0.5 }, { status: 'running', progress: -0.01 }, { status: 'running', progress: 1.01 },
    { status: 'running', progress: '0.5' }, { status: 'running', progress: null }, { status: 'running', progress: true },
    { status: 'running', progress: 2 }, { status: 'running', result: { url: 'x' } }, { status: 'queued', result: 1 },
    { status: 'failed', result: 1 }, { status: 'succeeded', error: { code: 'x' } }, { status: 'running', error: { code: 'x' } },
    { status: 'failed', error: 'boom' }, { status: 'failed', error: ['boom'] }, { status: 'failed', error: 42 },
    { status: 'canceled', error: null }, { status: 'queued', extra: 1 }, { status: 'queued', version: 5 },
    { status: 'queued', id: 'other' }, { status: 'queued', createdAt: '2020-01-01T00:00:00Z' },
  ];
  for (const body of bodies) m.putJob(`job update ${JSON.stringify(body)}`, [400], JSON.stringify(body));
  m.putJob('progress 1e309', [400], '{"status":"running","progress":1e309}');
  m.putJob('progress -1e309', [400], '{"status":"running","progress":-1e309}');
  m.putJob('a __proto__ field', [400], '{"status":"queued","__proto__":{"status":"succeeded"}}');
  for (let i = 0; i < 10; i++) {
    const progress = random.chance(0.5) ? 1 + random.next() * 100 : -random.next() * 100 - 1e-9;
    m.putJob(`progress ${progress}`, [400], JSON.stringify({ status: 'running', progress }));
  }
  return m.cases;
}

/** Inbox bodies: notifications over their limits or with unsafe urls, and client changes of the wrong shape. */
export function inboxBodies(random: Random): HttpCase[] {
  const m = makeCases('inbox', random);
  const notifications: unknown[] = [
    { type: 'n', title: 'x'.repeat(201) }, { type: 'n', body: 'x'.repeat(2001) }, { type: 'n', url: 'x'.repeat(2049) },
    { type: 'n', url: 'javascript:alert(1)' }, { type: 'n', url: 'data:text/html,x' }, { type: 'n', url: 'http://example.com/' },
    { type: 'n', url: '//evil.example/' }, { type: 'n', url: '/a\nb' }, { type: 'n', url: '/a\\b' }, { type: 'n', url: 'https://' },
    { type: 'n', collapseKey: 'a b' }, { type: 'n', collapseKey: '' }, { type: 'n', collapseKey: 'k'.repeat(129) },
    { type: 'n', category: '.x' }, { type: 'n', title: 1 }, { type: 'n', url: null }, { type: 'inbox.created' },
    { type: 'job.succeeded' }, { title: 'no type' }, { type: 'n', replaces: '1' }, { type: 'n', readAt: 'now' },
  ];
  for (const body of notifications) {
    const index = random.int(1000);
    m.add(`notification ${JSON.stringify(body).slice(0, 60)}`, [400], (c) =>
      signed('POST', `/v1/users/${m.target(c, index)}/notifications`, JSON.stringify({ userId: m.target(c, index), ...(body as object) })),
    );
  }
  const post = (path: string, body: string, contentType = 'application/json') => async (c: { targets: readonly string[]; tokens: ReadonlyMap<string, string> }) => ({
    method: 'POST',
    path,
    headers: { ...bearer(c, c.targets[0]!), 'Content-Type': contentType },
    body: new TextEncoder().encode(body),
  });
  const changes: Array<[string, string]> = [
    ['/v1/inbox/read', '{"ids":[]}'], ['/v1/inbox/read', `{"ids":${JSON.stringify(Array.from({ length: 101 }, (_, i) => String(i + 1)))}}`],
    ['/v1/inbox/read', '{"ids":[1]}'], ['/v1/inbox/read', '{"ids":["01"]}'], ['/v1/inbox/read', '{"ids":["-1"]}'],
    ['/v1/inbox/read', '{"ids":["9007199254740992"]}'], ['/v1/inbox/read', '{"ids":"1"}'], ['/v1/inbox/read', '{"ids":["1"],"through":"1"}'],
    ['/v1/inbox/read', '{}'], ['/v1/inbox/seen', '{"ids":["1"]}'], ['/v1/inbox/seen', '{"through":1}'], ['/v1/inbox/seen', '{"through":"1e3"}'],
    ['/v1/inbox/unread', '{"through":"1"}'], ['/v1/inbox/archive', '{"ids":[null]}'], ['/v1/inbox/archive', '{"ids":["1"],"x":1}'],
    ['/v1/acks', '{"through":"x"}'], ['/v1/acks', '{"through":"1","x":1}'], ['/v1/acks', '[]'], ['/v1/inbox/read', '{"ids":["1"'],
  ];
  for (const [path, body] of changes) m.add(`${path} ${body.slice(0, 60)}`, [400], post(path, body));
  m.add('inbox change as text/plain', [415], post('/v1/inbox/read', '{"ids":["1"]}', 'text/plain'));
  for (const query of ['status=new', 'limit=0', 'limit=101', 'before=abc', 'before=-1', 'limit=1e2']) {
    m.add(`GET /v1/inbox?${query}`, [400], async (c) => ({ method: 'GET', path: `/v1/inbox?${query}`, headers: bearer(c, c.targets[0]!) }));
  }
  m.add('notification read of id "abc"', [400], (c) => signed('GET', `/v1/users/${c.targets[0]}/notifications/abc`, ''));
  m.add('inbox without a token', [401], async () => ({ method: 'GET', path: '/v1/inbox' }));
  return m.cases;
}
