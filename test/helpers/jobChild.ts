// A test's child job, run under tsx and watched while it runs (unlike child.ts's runChild, which
// waits for the end): the test reads its output as it comes, waits for lines, writes to its
// stdin and SIGKILLs it. `cleanups` gets the SIGKILL, so no child outlives its test.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Child {
  out: () => string;
  lines: () => string[];
  waitFor: (cond: (out: string) => boolean, what: string, timeoutMs?: number) => Promise<void>;
  send: (line: string) => void;
  kill: () => Promise<void>;
  exited: Promise<number | null>;
}

/** Runs `script` (a path from the repository root) with `args`; `nodeFlags` go before the script. */
export function jobChild(
  script: string,
  args: string[],
  cleanups: Array<() => void | Promise<void>>,
  opts: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv } = {},
): Child {
  const p = spawn(process.execPath, ['--import', 'tsx', ...(opts.nodeFlags ?? []), path.join(ROOT, script), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
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
    send: (line) => void p.stdin.write(`${line}\n`),
    async kill() {
      p.kill('SIGKILL');
      await exited;
    },
    exited,
  };
}
