/** Helpers for the pipeline integration tests (real Kafka, real PostgreSQL, jobs as child processes). */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { resolvePg } from '../helpers/postgres.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// `node --import tsx file.ts`: one process (tsx's CLI would run the script in a child of its own,
// which a SIGKILL of the CLI leaves running).
const TSX_LOADER = createRequire(import.meta.url).resolve('tsx');
const BIN = path.join(ROOT, 'src/cli/bin.mjs');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The PG* variables that make a child connect like the tests do. */
export async function pgEnv(): Promise<Record<string, string>> {
  const { host, port, database, user, config } = await resolvePg();
  return {
    PGHOST: host,
    PGPORT: String(port),
    PGDATABASE: database,
    PGUSER: user,
    ...(typeof config.password === 'string' ? { PGPASSWORD: config.password } : {}),
  };
}

export interface Child {
  child: ChildProcess;
  /** The JSON lines printed so far. */
  events: Array<Record<string, unknown>>;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first event `match` accepts (rejects when the process exits first). */
  waitForEvent(match: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Runs a TypeScript entry point (e.g. src/apps/meetup/main.ts) with tsx; stdout is read as JSON lines. */
export function runTs(file: string, args: string[], env: Record<string, string> = {}): Child {
  return track(
    spawn(process.execPath, ['--import', pathToFileURL(TSX_LOADER).href, path.join(ROOT, file), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** Runs the `dstreams` command. */
export function runDstreams(args: string[], env: Record<string, string> = {}): Child {
  return track(spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

function track(child: ChildProcess): Child {
  const events: Array<Record<string, unknown>> = [];
  let buf = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d) => {
    buf += String(d);
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        events.push({ event: 'text', line });
      }
      for (const w of waiters) w();
    }
  });
  child.stderr!.on('data', (d) => (err += String(d)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      for (const w of waiters) w();
    }),
  );
  return {
    child,
    events,
    stderr: () => err,
    exit,
    waitForEvent(match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event in ${timeoutMs} ms; events: ${JSON.stringify(events.slice(-5))}; stderr: ${err.slice(-2000)}`));
        }, timeoutMs);
        const check = (): void => {
          const found = events.find(match);
          if (found) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`process exited (${child.exitCode ?? child.signalCode}) before the event; stderr: ${err.slice(-3000)}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}
