#!/usr/bin/env node
// The `dstreams` command from a checkout, without a build: the TypeScript source through tsx
// (tests and `node src/cli/bin.mjs …`). The installed package's bin is the compiled
// dist/src/cli/dstreams.js (package.json `bin`).
const { register } = await import('tsx/esm/api');
register();
await import('./dstreams.ts');
