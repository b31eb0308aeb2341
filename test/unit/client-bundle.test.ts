import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleClient, GENERATED_PATH, generatedModule } from '../../scripts/client-bundle.ts';

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );

describe('the client library', () => {
  it('has no runtime dependency: it imports only its own files', () => {
    const imports = files('src/client').flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^';]*? from '([^']+)'/gm)].map((m) => m[1]!),
    );
    expect(imports.filter((specifier) => !specifier.startsWith('./') && !specifier.startsWith('../'))).toEqual([]);
    expect(imports.filter((specifier) => specifier.startsWith('../../'))).toEqual([]);
  });

  it('is as small as the README says, gzipped', async () => {
    const { gzipBytes } = await bundleClient();
    const stated = /client library is \*\*([\d.]+) KiB\*\* gzipped/.exec(readFileSync('README.md', 'utf8'));
    expect(stated, 'README states the gzipped size').not.toBeNull();
    const kib = gzipBytes / 1024;
    expect(kib).toBeLessThanOrEqual(Number(stated![1]));
    expect(Number(stated![1]) - kib).toBeLessThan(0.3);
  });

  it('is served by the demo from a bundle that matches the source (npm run build:client)', async () => {
    const { code } = await bundleClient();
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(generatedModule(code));
  });
});
