// Every TypeScript block of README.md and docs/ compiles against the
// package's own types: each ```ts or ```tsx block becomes a module importing
// `userhub/*` (mapped to the sources the package is built from), and tsc
// checks them together, strict. A block marked ```ts fragment (a piece of a
// larger file, or code for another runtime's types) is not checked; shell
// blocks marked ```sh illustrative are not run.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../../scripts/package.ts';
import { fencedBlocks } from '../helpers/markdown.ts';

const DOCS = ['README.md', ...readdirSync('docs').filter((name) => name.endsWith('.md')).map((name) => join('docs', name))];
const DIR = 'test-output/docs-code';

describe('the code in README.md and docs/', () => {
  // The package's own declarations, as an application gets them.
  const built = join(tmpdir(), `userhub-docs-package-${process.pid}`);
  beforeAll(() => buildPackage(built), 120_000);
  afterAll(() => rmSync(built, { recursive: true, force: true }));

  it('type-checks every TypeScript block against the package\'s types', { timeout: 120_000 }, () => {
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    const where = new Map<string, string>();
    let n = 0;
    for (const doc of DOCS) {
      for (const block of fencedBlocks(readFileSync(doc, 'utf8'))) {
        if (block.info !== 'ts' && block.info !== 'tsx') continue;
        const file = `block-${++n}.${block.info}`;
        where.set(file, `${doc}:${block.line}`);
        writeFileSync(join(DIR, file), `${block.text}\nexport {};\n`);
      }
    }
    expect(n).toBeGreaterThan(10);
    const source = (entry: string) => [join(built, `lib/types/${entry}/index.d.ts`)];
    const compilerOptions = {
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      target: 'es2022',
      module: 'esnext',
      moduleResolution: 'bundler',
      allowImportingTsExtensions: true,
      jsx: 'react-jsx',
      lib: ['es2023', 'dom', 'dom.iterable'],
      types: ['node'],
      paths: { 'userhub/client': source('client'), 'userhub/publisher': source('publisher'), 'userhub/react': source('react'), 'userhub/elements': source('elements') },
    };
    writeFileSync(join(DIR, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts', '*.tsx'] }));
    let output = '';
    try {
      execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', join(DIR, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (err) {
      output = (err as { stdout: string }).stdout;
    }
    // Each error named by the Markdown file and line its block starts at.
    const errors = output
      .split('\n')
      .filter((line) => /error TS/.test(line))
      .map((line) => line.replace(/^.*?(block-\d+\.tsx?)/, (_, file: string) => where.get(file) ?? file));
    expect(errors).toEqual([]);
  });

  it('marks every shell block it does not run as illustrative', () => {
    const unmarked = DOCS.flatMap((doc) =>
      fencedBlocks(readFileSync(doc, 'utf8'))
        .filter((block) => block.info === 'sh' || block.info === 'bash')
        .map((block) => `${doc}:${block.line}`),
    );
    expect(unmarked).toEqual([]);
  });
});
