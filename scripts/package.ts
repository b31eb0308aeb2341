// npm run package (also `prepare`, so every install builds it, and so does
// `npm pack`): the npm package's contents in lib/. The client, the publisher
// and the React bindings as ES modules with .d.ts declarations, the CLI as one file that
// plain Node 20+ runs from node_modules; every dependency bundled in, so the
// package has none. The service (Worker, standalone hosts) is not in it.

import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LIB = 'lib';

/** Every file under `dir`. */
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));

/** Builds the package's files into `out` (lib/, which package.json's exports and bin name). */
export async function buildPackage(out = LIB): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  const common = { bundle: true, format: 'esm', legalComments: 'none', logLevel: 'warning' } as const;
  // Platform-neutral: the same files load in browsers, Node, Bun, Deno and Workers.
  await build({
    ...common,
    entryPoints: { 'client/index': 'src/client/index.ts', 'publisher/index': 'src/publisher/index.ts' },
    outdir: out,
    platform: 'neutral',
    target: 'es2022',
  });
  // React bindings: React is the application's (a peer dependency), and so is the client they drive.
  await build({
    ...common,
    entryPoints: { 'react/index': 'src/react/index.ts' },
    outdir: out,
    platform: 'neutral',
    target: 'es2022',
    external: ['react'],
    plugins: [
      {
        name: 'the-package-client',
        setup(build) {
          build.onResolve({ filter: /\/client\/index\.ts$/ }, () => ({ path: 'userhub/client', external: true }));
        },
      },
    ],
  });
  await build({
    ...common,
    entryPoints: { 'cli/main': 'src/cli/main.ts' },
    outdir: out,
    platform: 'node',
    target: 'node20', // src/cli/main.ts starts with its #! line, which esbuild keeps
  });
  // Declarations from the sources; their relative imports name .js, as the package's files do.
  execFileSync('tsc', ['-p', 'tsconfig.package.json', '--outDir', `${out}/types`], { stdio: 'inherit' });
  for (const file of files(`${out}/types`)) {
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(from\s+['"]\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1.js$2'));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildPackage();
  console.log(`package contents built in ${LIB}/: client, publisher (ES modules + .d.ts), cli/main.js`);
}
