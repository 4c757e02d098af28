#!/usr/bin/env node
// The `dstreams` executable: the compiled CLI when the package was built (npm run build),
// else the TypeScript source through tsx (a checkout, `npm link`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../../dist/cli/dstreams.js', import.meta.url));
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./dstreams.ts');
}
