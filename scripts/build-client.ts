// npm run build:client: bundles src/client into one minified ES module and
// writes it into src/demo/client-bundle.generated.ts, which the demo page
// serves on every host. Prints its raw and gzipped sizes.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleClient, GENERATED_PATH, generatedModule } from './client-bundle.ts';

const { code, gzipBytes } = await bundleClient();
writeFileSync(fileURLToPath(new URL(`../${GENERATED_PATH}`, import.meta.url)), generatedModule(code));
console.log(`client bundle: ${code.length} bytes, ${gzipBytes} bytes gzipped -> ${GENERATED_PATH}`);
