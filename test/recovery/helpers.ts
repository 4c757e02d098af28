// Helpers of the recovery tests: temporary directories and the child program
// (test/fixtures/recovery-job.ts) run with `node --import tsx`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const jobScript = path.join(projectRoot, 'test/fixtures/recovery-job.ts');

const made: string[] = [];

/** A new temporary directory, removed by cleanupTempDirs(). */
export function tempDir(prefix = 'dstreams-recovery-'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

export function cleanupTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export type Line = Record<string, unknown>;

/** A running child program with the JSON lines it printed so far. */
export interface Child {
  proc: ChildProcess;
  lines: Line[];
  stderr: () => string;
  /** Resolves with the first line (printed so far or later) that satisfies `pred`. */
  line(pred: (l: Line) => boolean, timeoutMs?: number): Promise<Line>;
  /** Resolves when the child has exited and its output is read: its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startJob(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', jobScript, ...args], {
    cwd: projectRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: Line[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  let err = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(text) as Line);
      } catch {
        // not a JSON line
      }
    }
    for (const w of [...waiters]) w();
  });
  proc.stderr!.on('data', (chunk: Buffer) => void (err += chunk.toString()));
  let closed = false;
  // 'close', not 'exit': by then everything the child wrote to its stdout has been read.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal }));
    proc.on('error', () => resolve({ code: null, signal: null }));
  });
  void exited.then(() => {
    closed = true;
    for (const w of [...waiters]) w();
  });
  const line = (pred: (l: Line) => boolean, timeoutMs = 60_000): Promise<Line> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no such line from the child in ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
      const check = (): void => {
        const found = lines.find(pred);
        if (found) finish(undefined, found);
        else if (closed) {
          finish(new Error(`child exited (${proc.exitCode ?? proc.signalCode}) first; stderr: ${err}`));
        }
      };
      const finish = (e: Error | undefined, l?: Line): void => {
        clearTimeout(timer);
        waiters.delete(check);
        if (e) reject(e);
        else resolve(l!);
      };
      waiters.add(check);
      check();
    });
  return { proc, lines, stderr: () => err, line, exited };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
