// Helpers of the Kinesis tests: the corpus, the independent count, child processes.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHAKESPEARE = '/work/shared/data/shakespeare.txt';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The lines of shakespeare.txt, or generated text when the file is not there. */
export function shakespeareLines(): string[] {
  if (existsSync(SHAKESPEARE)) {
    const lines = readFileSync(SHAKESPEARE, 'utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }
  const words = ['to', 'be', 'or', 'not', 'that', 'is', 'the', 'question', 'whether', 'tis', 'nobler', 'in', 'mind'];
  return Array.from({ length: 20_000 }, (_, i) =>
    Array.from({ length: 1 + (i % 9) }, (_x, j) => words[(i * 7 + j * 3) % words.length]).join(' '),
  );
}

/** The book's tokenizer: lower case, split on non-word characters, empty strings dropped. */
export function words(line: string): string[] {
  return line
    .toLowerCase()
    .split(/\W+/)
    .filter((w) => w.length > 0);
}

export function countWords(lines: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) for (const w of words(l)) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

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
