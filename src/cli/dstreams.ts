#!/usr/bin/env node
/**
 * The `dstreams` command (package.json `bin`, compiled to dist/src/cli/dstreams.js; from a checkout: src/cli/bin.mjs):
 *
 *   dstreams feed --file shakespeare.txt --port 9999 --lines-per-second 10 [--loop]
 *   dstreams run network-wordcount localhost 9999
 *
 * In the repository without a build: `npx tsx src/cli/dstreams.ts …`.
 */
import { buildProgram } from './program.js';
import { runCommand } from '../util/usage.js';

await runCommand(buildProgram(), process.argv);
