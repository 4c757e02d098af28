// Copies of the scaled-out wordcount (wordcount-child.ts) as child processes, and the
// independent count their table is checked against: shared by the scale-out tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { produceLines } from '../helpers/kafka.js';
import { pgQuery } from '../helpers/postgres.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SESSION_TIMEOUT_MS = 6000;
export const BATCH_MS = 500;
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanups.splice(0)) c();
});
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Copy {
  name: string;
  dir: string;
  out: () => string;
  err: () => string;
  /** Parsed "ASSIGNED" lines: generation, partitions, at (ms). */
  assignments: () => Array<{ generation: number; partitions: Array<{ topic: string; partition: number }>; at: number }>;
  batches: () => Array<{ t: number; n: number; at: number }>;
  /** Parsed "COUNT" lines (window-batches: countByWindow over this copy's tasks), or those of another tag ("WORDS"). */
  counts: (tag?: string) => Array<{ t: number; n: number }>;
  waitFor: (cond: () => boolean, what: string, timeoutMs?: number) => Promise<void>;
  stop: () => void;
  /** A line to the copy's stdin (wordcount-child.ts: "stop", "crash"). */
  send: (command: string) => void;
  kill: () => Promise<void>;
  /** Sends a signal (SIGSTOP / SIGCONT: a copy paused, as by a long GC or a VM stall). */
  signal: (s: NodeJS.Signals) => void;
  exited: Promise<number | null>;
}

export function startCopy(name: string, dir: string, args: string[]): Copy {
  const p = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/scaleout/wordcount-child.ts'), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: ROOT,
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => (out += String(d)));
  p.stderr.on('data', (d) => (err += String(d)));
  let done = false;
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => ((done = true), r(code))));
  cleanups.push(() => void (p.kill('SIGCONT'), p.kill('SIGKILL')));
  const parsed = <T>(tag: string): T[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith(`${tag} `))
      .map((l) => JSON.parse(l.slice(tag.length + 1)) as T);
  return {
    name,
    dir,
    out: () => out,
    err: () => err,
    assignments: () => parsed('ASSIGNED'),
    batches: () => parsed('BATCH'),
    counts: (tag = 'COUNT') => parsed(tag),
    async waitFor(cond, what, timeoutMs = 60_000) {
      const t0 = Date.now();
      while (!cond()) {
        if (done) throw new Error(`copy ${name} exited before ${what}:\n${out.slice(-2000)}\n${err.slice(-3000)}`);
        if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what} (copy ${name}):\n${err.slice(-3000)}`);
        await sleep(50);
      }
    },
    stop: () => void p.stdin.write('stop\n'),
    send: (command: string) => void p.stdin.write(`${command}\n`),
    async kill() {
      p.kill('SIGKILL');
      await exited;
    },
    signal: (s) => void p.kill(s),
    exited,
  };
}

export const VOCABULARY = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}`);
/** Lines not keyed by word (so the count needs repartitionByKey), a few words each. */
export function lines(from: number, n: number): string[] {
  return Array.from({ length: n }, (_, j) => {
    const i = from + j;
    return Array.from({ length: 1 + (i % 5) }, (_x, k) => VOCABULARY[(i * 31 + k * 17) % VOCABULARY.length]).join(' ');
  });
}
export function count(ls: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of ls) for (const w of l.split(' ')) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

export async function tableCounts(table: string): Promise<Map<string, number>> {
  const res = await pgQuery<{ word: string; n: string }>(`SELECT word, n FROM ${table}`);
  return new Map(res.rows.map((r) => [r.word, Number(r.n)]));
}

export function diff(expected: Map<string, number>, got: Map<string, number>): { lost: number; duplicated: number; wrongKeys: number } {
  let lost = 0;
  let duplicated = 0;
  let wrongKeys = 0;
  for (const [w, n] of expected) {
    const g = got.get(w) ?? 0;
    if (g < n) lost += n - g;
    if (g > n) duplicated += g - n;
  }
  for (const w of got.keys()) if (!expected.has(w)) wrongKeys++;
  return { lost, duplicated, wrongKeys };
}

export const tasksOf = (c: Copy): number[] => [...new Set(c.assignments().at(-1)?.partitions.map((p) => p.partition) ?? [])].sort();


/** Produces `chunks` × `size` lines to the 6-partition `topic`, a pause after each, recording them in `produced`. */
export function feeder(topic: string, produced: string[]): (chunks: number, size: number, pauseMs: number) => Promise<void> {
  return async (chunks, size, pauseMs) => {
    for (let c = 0; c < chunks; c++) {
      const ls = lines(produced.length, size);
      await produceLines(topic, ls, { partitions: 6 });
      produced.push(...ls);
      await sleep(pauseMs);
    }
  };
}

/** Waits until `table` equals the count of `produced` (fails at once on a word counted twice, after 90 s on one missing). */
export async function tableCatchesUp(table: string, produced: readonly string[], what: string, report: () => string): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const got = await tableCounts(table).catch(() => new Map<string, number>());
    const d = diff(count(produced), got);
    if (d.lost === 0 && d.duplicated === 0 && d.wrongKeys === 0) return;
    if (d.duplicated > 0 || d.wrongKeys > 0) throw new Error(`${what}: ${JSON.stringify(d)} (a word counted twice)`);
    if (Date.now() - t0 > 90_000) throw new Error(`${what}: table never caught up: ${JSON.stringify(d)}\n${report()}`);
    await sleep(250);
  }
}

/** The latest countByWindow (or `tag`) of each copy, summed, reaches `n` (window-batches: every line counted once across the copies). */
export async function countsReach(copies: Copy[], n: number, what: string, tag = 'COUNT'): Promise<void> {
  const sum = (): number => copies.reduce((s, x) => s + (x.counts(tag).at(-1)?.n ?? 0), 0);
  const t0 = Date.now();
  while (sum() !== n) {
    if (Date.now() - t0 > 60_000) {
      throw new Error(`${what}: ${tag} of the copies ${JSON.stringify(copies.map((x) => x.counts(tag).at(-1)))} sum to ${sum()}, not ${n}`);
    }
    await sleep(100);
  }
}
