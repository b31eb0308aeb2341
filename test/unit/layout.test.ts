import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );

/** A source file without its comments (block comments, and line comments on lines of their own). */
const withoutComments = (file: string) => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');

describe('code layout', () => {
  it('keeps src/core and src/shared free of runtime-specific imports and globals', () => {
    const offenders = [...files('src/core'), ...files('src/shared')].filter((file) =>
      /from ['"](cloudflare:|node:|bun:)|\b(Bun|Deno)\.|require\(/.test(readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('keeps src/protocol free of every import: clients, publishers and the server share it', () => {
    expect(files('src/protocol').filter((file) => /^import\s/m.test(readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('defines the wire types and the error table once', () => {
    const all = files('src').filter((file) => !file.endsWith('.generated.ts'));
    const defining = (pattern: RegExp) => all.filter((file) => pattern.test(readFileSync(file, 'utf8')));
    expect(defining(/export (interface|type) Presence\b/)).toEqual(['src/protocol/wire.ts']);
    expect(defining(/export (interface|type) UserStats\b/)).toEqual(['src/protocol/wire.ts']);
    expect(defining(/export (interface|type) ResetInfo\b/)).toEqual(['src/protocol/wire.ts']);
    expect(defining(/['"]connection_limit['"]\s*[:|]|\bconnection_limit:/)).toEqual(['src/protocol/errors.ts']);
    expect(defining(/\bHUB_READY\s*=/)).toEqual(['src/protocol/wire.ts']);
    // The transport lists (what the client speaks, what the server serves) and the slow-consumer bound, once each.
    expect(defining(/\bCLIENT_TRANSPORTS = \[\s*'websocket',\s*'sse'/)).toEqual(['src/protocol/wire.ts']);
    expect(defining(/\bTRANSPORTS = \[\s*'websocket',\s*'sse'/)).toEqual(['src/core/actor/ports.ts']);
    expect(defining(/=\s*1024\s*\*\s*1024;/)).toEqual(['src/protocol/wire.ts']);
    expect(defining(/export interface PublishResult\b/)).toEqual(['src/protocol/wire.ts']);
  });

  it('names the actor’s calls once: no host forwards them one by one', () => {
    // A host reaches the Hub through actorVia/callHub (core/backend.ts); a
    // method or property of its own per call would be a second list to keep.
    const forwarding = /^\s+(?:async\s+)?(publish|updateJob|getJob|listJobs|poll|notify|listInbox|changeInbox|acknowledge|subscribePush|unsubscribePush|endSessions|erase|presence|stats)(?:\(|:\s*(?:async\s*)?\()/m;
    const hosts = [...files('src/cloudflare'), ...files('src/standalone')];
    expect(hosts.filter((file) => forwarding.test(readFileSync(file, 'utf8')))).toEqual([]);
    expect(readFileSync('src/core/backend.ts', 'utf8')).toMatch(/export const ACTOR_CALLS = \[/);
  });

  it('keeps the actor a small kernel with features around it: the kernel at most 300 lines, no file in src/core over 400', () => {
    const lines = (file: string) => readFileSync(file, 'utf8').split('\n').length;
    expect(lines('src/core/actor/kernel.ts')).toBeLessThanOrEqual(300);
    expect(files('src/core').filter((file) => lines(file) > 400)).toEqual([]);
    // The kernel knows no feature by name: they plug in through feature.ts.
    const kernel = withoutComments('src/core/actor/kernel.ts');
    expect(kernel).not.toMatch(/from '\.\.\/features\//);
    expect(kernel).not.toMatch(/\b(inbox|jobs?|receipts?|push|tickets?)\b\.[a-z]/i);
  });

  it('writes JSON from values through the one encoder: none assembled from strings in src/core', () => {
    // A template or concatenation that opens an object or names a field (`{"id":…`, `,"counts":${…}`),
    // or JSON text cut open to add to it (`json.slice(0, -1)`).
    const assembled = /`\{"|`\["|"[A-Za-z]+":\$\{|\.json\.slice\(|'\{"[A-Za-z]+":'\s*\+/;
    expect(files('src/core').filter((file) => assembled.test(withoutComments(file)))).toEqual([]);
    // Read back only where JSON crossed a socket or the store: no second reading of the actor's messages.
    expect(files('src/cloudflare').filter((file) => /function itemOf\b/.test(readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('opens every connection one way: a host port of three members, a transport one file in src/core/transports', () => {
    const members = (file: string, name: string) => {
      const body = withoutComments(file).match(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`))![1]!;
      return [...body.matchAll(/^  (?:readonly )?(\w+)[?(:]/gm)].map((m) => m[1]);
    };
    expect(members('src/core/backend.ts', 'HubBackend')).toEqual(['actor', 'open', 'upgrade']);
    expect(members('src/core/actor/ports.ts', 'ConnectionSet')).toEqual(['accept', 'remove', 'tagged', 'count']);
    // No host names a transport's sink or route: they live in src/core/transports/ alone.
    const hosts = [...files('src/cloudflare'), ...files('src/standalone')];
    expect(hosts.filter((file) => /\b(WebSocketSink|SseSink|PollSink|SseStream)\b|'\/v1\/(connect|events|poll)'/.test(withoutComments(file)))).toEqual([]);
    // The guide names the files a transport takes on the server: at most four, one of them new.
    const guide = readFileSync('docs/development.md', 'utf8').split('### Adding a transport')[1]!.split('### ')[0]!;
    const serverFiles = guide.split('No host, no bridge')[0]!.match(/^\d\. `(src\/[^`]+)`/gm)!;
    expect(serverFiles.length).toBeLessThanOrEqual(4);
    expect(serverFiles.filter((line) => line.includes('(new)') || guide.includes(`${line.slice(3)} (new)`))).toHaveLength(1);
  });

  it('keeps the demo out of src/core and out of the deployed Worker entry', () => {
    const importsDemo = (file: string) => /from ['"][./]+\/demo\//.test(readFileSync(file, 'utf8'));
    expect(files('src/core').filter(importsDemo)).toEqual([]);
    expect(importsDemo('src/cloudflare/worker.ts')).toBe(false);
    expect(importsDemo('src/cloudflare/dev-worker.ts')).toBe(true);
  });
});

describe('import graph', () => {
  /** Every relative import of every source file, type-only ones included, as resolved paths. */
  function importGraph(): Map<string, string[]> {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []));
    const graph = new Map<string, string[]>();
    for (const file of files('src')) {
      const text = readFileSync(file, 'utf8');
      const targets = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gms)].map((m) => resolve(dirname(file), m[1]!));
      graph.set(resolve(file), targets);
    }
    return graph;
  }

  it('has no import cycles in src/', () => {
    const graph = importGraph();
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative('.', f)).join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('keeps the publisher library out of the server: it imports no src/core file', () => {
    const graph = importGraph();
    const reached = new Set<string>();
    const walk = (file: string) => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const next of graph.get(file) ?? []) walk(next);
    };
    walk(resolve('src/publisher/index.ts'));
    expect([...reached].map((f) => relative('.', f)).filter((f) => f.startsWith('src/core/'))).toEqual([]);
  });
});
