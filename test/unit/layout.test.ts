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

  it('keeps the demo out of src/core and out of the deployed Worker entry', () => {
    const importsDemo = (file: string) => /from ['"][./]+\/demo\//.test(readFileSync(file, 'utf8'));
    expect(files('src/core').filter(importsDemo)).toEqual([]);
    expect(importsDemo('src/cloudflare/worker.ts')).toBe(false);
    expect(importsDemo('src/cloudflare/dev-worker.ts')).toBe(true);
  });
});
