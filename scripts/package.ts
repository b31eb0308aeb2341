// npm run package: the npm package, built into npm-package/ with a manifest of
// its own (what a consumer needs: exports, bin, engines, licence; no
// development scripts or dependencies), packed by `npm pack ./npm-package`.
// What it holds, as ES modules with .d.ts declarations and every dependency
// bundled in, so the package declares none:
//   userhub/client, userhub/publisher, userhub/react   the libraries
//   userhub/elements                                  the <userhub-bell> custom element, on the client alone
//   userhub/cloudflare                                the Worker and its Durable Object, for a Worker of your own
//   lib/standalone/{node,bun,deno}.js                 the standalone host `userhub serve` runs
//   lib/cli/main.js                                   the `userhub` command (plain Node 20+; `serve` Node 22+)

import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PACKAGE_DIR = 'npm-package';

/** Every file under `dir`. */
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));

/** The packed manifest: the workspace's name, version and metadata, and nothing of its development. */
function manifest(): Record<string, unknown> {
  const workspace = JSON.parse(readFileSync('package.json', 'utf8')) as Record<string, unknown>;
  const entry = (name: string) => ({ types: `./lib/types/${name}/index.d.ts`, default: `./lib/${name}/index.js` });
  return {
    name: workspace.name,
    version: workspace.version,
    description: workspace.description,
    license: workspace.license,
    keywords: ['notifications', 'websocket', 'sse', 'durable-objects', 'cloudflare-workers', 'inbox', 'web-push'],
    type: 'module',
    engines: { node: '>=20' },
    bin: { userhub: 'lib/cli/main.js' },
    exports: {
      './client': entry('client'),
      './publisher': entry('publisher'),
      './react': entry('react'),
      './elements': entry('elements'),
      './cloudflare': { types: './lib/types/cloudflare/index.d.ts', workerd: './lib/cloudflare/index.js', default: './lib/cloudflare/index.js' },
      './package.json': './package.json',
    },
    // TypeScript that resolves without `exports` (moduleResolution node10) finds the declarations here.
    typesVersions: { '*': Object.fromEntries(['client', 'publisher', 'react', 'elements', 'cloudflare'].map((name) => [name, [`lib/types/${name}/index.d.ts`]])) },
    files: ['lib', 'docs', 'LICENSE', 'README.md', 'CHANGELOG.md'],
    peerDependencies: { react: '>=18' },
    peerDependenciesMeta: { react: { optional: true } },
  };
}

/** Builds the package into `out`: its files in lib/, its manifest, licence, README and changelog. */
export async function buildPackage(out = PACKAGE_DIR): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  const lib = join(out, 'lib');
  // The licence notices of what is bundled in stay with it, at the end of each file.
  const common = { bundle: true, format: 'esm', legalComments: 'eof', logLevel: 'warning' } as const;
  // Platform-neutral: the same files load in browsers, Node, Bun, Deno and Workers.
  await build({
    ...common,
    entryPoints: { 'client/index': 'src/client/index.ts', 'publisher/index': 'src/publisher/index.ts' },
    outdir: lib,
    platform: 'neutral',
    target: 'es2022',
  });
  // React bindings and the custom element: React is the application's (a peer dependency), and so is the client they drive.
  await build({
    ...common,
    entryPoints: { 'react/index': 'src/react/index.ts', 'elements/index': 'src/elements/index.ts' },
    outdir: lib,
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
  // The Worker and its Durable Object class, for wrangler to bundle into a Worker of the user's.
  await build({
    ...common,
    entryPoints: { 'cloudflare/index': 'src/cloudflare/index.ts' },
    outdir: lib,
    platform: 'neutral',
    target: 'es2022',
    external: ['cloudflare:*'],
  });
  // The standalone host on each runtime, started by `userhub serve`.
  await build({
    ...common,
    entryPoints: { 'standalone/node': 'src/standalone/node.ts', 'standalone/bun': 'src/standalone/bun.ts', 'standalone/deno': 'src/standalone/deno.ts' },
    outdir: lib,
    platform: 'node',
    target: 'node22',
    // ws's optional native speed-ups, loaded only when installed.
    external: ['bun:sqlite', 'bufferutil', 'utf-8-validate'],
    // The CommonJS dependencies (ws) require Node's modules: give the ES module a require.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  await build({
    ...common,
    entryPoints: { 'cli/main': 'src/cli/main.ts' },
    outdir: lib,
    platform: 'node',
    target: 'node20', // src/cli/main.ts starts with its #! line, which esbuild keeps
  });
  // Declarations from the sources; their relative imports name .js, as the package's files do.
  execFileSync('tsc', ['-p', 'tsconfig.package.json', '--outDir', `${lib}/types`], { stdio: 'inherit' });
  for (const file of files(`${lib}/types`)) {
    writeFileSync(file, readFileSync(file, 'utf8').replace(/((?:from\s+|import\()['"]\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1.js$2'));
  }
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(manifest(), null, 2)}\n`);
  for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md']) copyFileSync(file, join(out, file));
  // The guides the README links to.
  mkdirSync(join(out, 'docs'));
  for (const file of readdirSync('docs').filter((name) => /\.(md|svg)$/.test(name))) copyFileSync(join('docs', file), join(out, 'docs', file));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildPackage();
  console.log(`the npm package is built in ${PACKAGE_DIR}/: npm pack ./${PACKAGE_DIR} makes its tarball`);
}
