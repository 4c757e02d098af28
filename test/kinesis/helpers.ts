// Helpers of the Kinesis tests: the corpus, the independent count, child processes.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export { countWords, shakespeareLines, SHAKESPEARE, words } from '../helpers/corpus.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Child {
  out: () => string;
  lines: () => string[];
  waitFor: (cond: (out: string) => boolean, what: string, timeoutMs?: number) => Promise<void>;
  kill: () => Promise<void>;
  exited: Promise<number | null>;
}

/** Runs test/kinesis/<script> under tsx; `cleanups` gets its SIGKILL. */
export function child(script: string, args: string[], cleanups: Array<() => void | Promise<void>>): Child {
  const p = spawn(process.execPath, ['--import', 'tsx', '--no-warnings', path.join(ROOT, 'test/kinesis', script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: ROOT,
  });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => (out += String(d)));
  p.stderr.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  cleanups.push(() => void p.kill('SIGKILL'));
  return {
    out: () => out,
    lines: () => out.split('\n').filter(Boolean),
    async waitFor(cond, what, timeoutMs = 60_000) {
      const t0 = Date.now();
      let done = false;
      void exited.then(() => (done = true));
      while (!cond(out)) {
        if (done && !cond(out)) throw new Error(`the child exited before ${what}:\n${out.slice(-3000)}\n${err.slice(-3000)}`);
        if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}:\n${out.slice(-3000)}\n${err.slice(-3000)}`);
        await sleep(20);
      }
    },
    async kill() {
      p.kill('SIGKILL');
      await exited;
    },
    exited,
  };
}
