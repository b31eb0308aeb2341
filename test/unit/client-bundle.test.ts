import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleClient, bundleNames, GENERATED_PATH, generatedModule, measureUi, REACT_HOOKS } from '../../scripts/client-bundle.ts';
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
    // React and the client are the application's, counted once; the hooks alone, then what the components add.
    const ui = await measureUi(join(out, 'lib'));
    rmSync(out, { recursive: true, force: true });
    // The figures between their markers (npm run docs:figures writes them).
    const readme = ['docs/client.md', 'docs/react.md', 'docs/elements.md'].map((file) => readFileSync(file, 'utf8')).join('').replace(/<!--[^>]*-->/g, '');
    const figures = [
      [/client library is \*\*([\d.]+) KiB\*\* gzipped/, client.gzipBytes],
      [/React hooks add \*\*([\d.]+) KiB\*\* gzipped/, ui.hooks],
      [/components add \*\*([\d.]+) KiB\*\* more/, ui.components],
      [/element adds \*\*([\d.]+) KiB\*\* gzipped/, ui.elements],
    ] as const;
    for (const [pattern, gzipBytes] of figures) {
      const stated = pattern.exec(readme);
      expect(stated, `the docs state ${pattern.source}`).not.toBeNull();
      const kib = gzipBytes / 1024;
      expect(kib).toBeLessThanOrEqual(Number(stated![1]));
      expect(Number(stated![1]) - kib).toBeLessThan(0.3);
    }
  });

  it('keeps the inbox UI within its budgets: the hooks pay nothing for the components, which stay under 6 KiB, the element under 7 KiB', { timeout: 60_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'userhub-lib-'));
    await buildPackage(out);
    const ui = await measureUi(join(out, 'lib'));
    const hooksAlone = await bundleNames(join(out, 'lib/react/index.js'), REACT_HOOKS, ['react', 'userhub/client']);
    rmSync(out, { recursive: true, force: true });
    // An application importing only hooks bundles no component code and no stylesheet.
    expect(hooksAlone.code).not.toMatch(/userhub-feed|userhub-bell|Mark all read/);
    expect(ui.hooks / 1024).toBeLessThan(3);
    expect(ui.components / 1024).toBeLessThan(6);
    expect(ui.elements / 1024).toBeLessThan(7);
  });

  it('is served by the demo from a bundle that matches the source (npm run build:client)', async () => {
    const { code } = await bundleClient();
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(generatedModule(code));
  });
});
