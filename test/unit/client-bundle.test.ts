import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleClient, GENERATED_PATH, generatedModule } from '../../scripts/client-bundle.ts';
import { buildPackage } from '../../scripts/package.ts';

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );

describe('the client library', () => {
  it('has no runtime dependency: it imports only its own files and the wire protocol', () => {
    const imports = files('src/client').flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^';]*? from '([^']+)'/gm)].map((m) =>
        m[1]!.startsWith('.') ? resolve(dirname(file), m[1]!) : m[1]!, // a package name stays as is, and is refused
      ),
    );
    const allowed = [resolve('src/client'), resolve('src/protocol')];
    expect(imports.filter((path) => !allowed.some((dir) => path.startsWith(`${dir}/`)))).toEqual([]);
  });

  it('is as small as the docs say, gzipped, measured on the package\'s built file as an application minifies it', { timeout: 60_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'userhub-lib-'));
    await buildPackage(out);
    const client = await bundleClient(join(out, 'lib/client/index.js'));
    // The React entry alone: React and the client are the application's, counted once.
    const react = await bundleClient(join(out, 'lib/react/index.js'), ['react', 'userhub/client']);
    rmSync(out, { recursive: true, force: true });
    // The figures between their markers (npm run docs:figures writes them).
    const readme = (readFileSync('docs/client.md', 'utf8') + readFileSync('docs/react.md', 'utf8')).replace(/<!--[^>]*-->/g, '');
    for (const [pattern, { gzipBytes }] of [[/client library is \*\*([\d.]+) KiB\*\* gzipped/, client], [/React bindings add \*\*([\d.]+) KiB\*\* gzipped/, react]] as const) {
      const stated = pattern.exec(readme);
      expect(stated, `docs/client.md or docs/react.md states ${pattern.source}`).not.toBeNull();
      const kib = gzipBytes / 1024;
      expect(kib).toBeLessThanOrEqual(Number(stated![1]));
      expect(Number(stated![1]) - kib).toBeLessThan(0.3);
    }
  });

  it('is served by the demo from a bundle that matches the source (npm run build:client)', async () => {
    const { code } = await bundleClient();
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(generatedModule(code));
  });
});
