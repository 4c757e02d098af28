// Helpers of the Kinesis tests: the corpus, the independent count, child processes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jobChild, type Child } from '../helpers/jobChild.js';

export type { Child } from '../helpers/jobChild.js';
export { countWords, shakespeareLines, SHAKESPEARE, words } from '../helpers/corpus.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs test/kinesis/<script> under tsx; `cleanups` gets its SIGKILL. */
export function child(script: string, args: string[], cleanups: Array<() => void | Promise<void>>): Child {
  return jobChild(`test/kinesis/${script}`, args, cleanups, { nodeFlags: ['--no-warnings'] });
}
