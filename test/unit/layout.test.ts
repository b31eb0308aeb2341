import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );

describe('code layout', () => {
  it('keeps src/core free of runtime-specific imports and globals', () => {
    const offenders = files('src/core').filter((file) =>
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
    // The transport list and the slow-consumer bound, once each.
    expect(defining(/\[\s*'websocket',\s*'sse'/)).toEqual(['src/protocol/wire.ts']);
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

  it('keeps the demo out of src/core and out of the deployed Worker entry', () => {
    const importsDemo = (file: string) => /from ['"][./]+\/demo\//.test(readFileSync(file, 'utf8'));
    expect(files('src/core').filter(importsDemo)).toEqual([]);
    expect(importsDemo('src/cloudflare/worker.ts')).toBe(false);
    expect(importsDemo('src/cloudflare/dev-worker.ts')).toBe(true);
  });
});
