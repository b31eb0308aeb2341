// npm run build:binary: the standalone host as one executable file for this
// machine's platform (bun build --compile), which runs with no Node or Bun
// installed beside it: dist/userhub. Run it where its .dev.vars is:
//   ./dist/userhub        (PORT, HOST, DATABASE_PATH and the rest as for every host)

import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';

export const BINARY = 'dist/userhub';

execFileSync('bun', ['build', '--compile', '--minify', 'src/standalone/binary.ts', '--outfile', BINARY], { stdio: ['ignore', 'ignore', 'inherit'] });
console.log(`${BINARY}: ${(statSync(BINARY).size / 1024 / 1024).toFixed(1)} MiB, for ${process.platform}-${process.arch}`);
