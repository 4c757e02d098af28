import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Level } from 'level';
import { CheckpointError, CheckpointStore, encodeBulk } from '../../src/checkpoint/index.js';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const childScript = path.join(projectRoot, 'test/checkpoint/fixtures/child.ts');

const made: string[] = [];

/** A new temporary directory, removed by cleanupTempDirs(). */
export function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'dstreams-cp-test-'));
  made.push(d);
  return d;
}

export function cleanupTempDirs(): void {
  for (const d of made.splice(0)) {
    spawnSync('chattr', ['-R', '-i', d], { stdio: 'ignore' });
    spawnSync('chmod', ['-R', 'u+rwx', d], { stdio: 'ignore' });
    rmSync(d, { recursive: true, force: true });
  }
}

/** Runs `fn`, expects it to reject with a CheckpointError, and returns that error. */
export async function checkpointError(fn: () => Promise<unknown>): Promise<CheckpointError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof CheckpointError) return err;
    throw new Error(`expected a CheckpointError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a CheckpointError, but it resolved');
}

/** Starts test/checkpoint/fixtures/child.ts with tsx. */
export function startChild(args: string[], options: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, ...args], {
    cwd: projectRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  // A child that cannot be spawned (e.g. no permission to switch user) reports through 'error'.
  child.on('error', () => {});
  return child;
}

/** Resolves with the first JSON line the child prints that satisfies `pred`; rejects on exit or timeout. */
export function childLine<T = Record<string, unknown>>(
  child: ChildProcess,
  pred: (x: T) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(() => finish(new Error(`child printed nothing useful in ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const x = JSON.parse(line) as T;
          if (pred(x)) return finish(undefined, x);
        } catch {
          // not JSON: ignore
        }
      }
    };
    const onErr = (chunk: Buffer): void => {
      err += chunk.toString();
    };
    const onExit = (code: number | null): void => finish(new Error(`child exited (${code}) first; stderr: ${err}`));
    const onError = (e: Error): void => finish(new Error(`child failed to start: ${e.message}`));
    const finish = (e: Error | undefined, x?: T): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onErr);
      child.off('exit', onExit);
      child.off('error', onError);
      if (e) reject(e);
      else resolve(x!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onErr);
    child.on('exit', onExit);
    child.on('error', onError);
  });
}

export function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
}

interface Batchable {
  batch(): { write(options?: object): Promise<void>; close(): Promise<void> };
}

/** Counts the store's LevelDB writes; `failFirst` makes the first one fail as a full disk would. */
export function watchWrites(store: CheckpointStore, failFirst = false): { writes: number } {
  const db = (store as unknown as { db: Batchable }).db;
  const batch = db.batch.bind(db);
  const seen = { writes: 0 };
  db.batch = () => {
    const b = batch();
    const write = b.write.bind(b);
    b.write = async (options?: object) => {
      seen.writes++;
      if (failFirst && seen.writes === 1) throw new Error('disk on fire');
      return write(options);
    };
    return b;
  };
  return seen;
}

/** Holds every LevelDB write of `store` until `release()` (a disk that stalls); counts them. */
export function holdWrites(store: CheckpointStore): { writes: number; release(): void } {
  const db = (store as unknown as { db: Batchable }).db;
  const batch = db.batch.bind(db);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const seen = { writes: 0, release };
  db.batch = () => {
    const b = batch();
    const write = b.write.bind(b);
    b.write = async (options?: object) => {
      seen.writes++;
      await released;
      return write(options);
    };
    return b;
  };
  return seen;
}

/** The batch times of the snapshots a closed store in `dir` holds (any stream). */
export async function snapshotTimes(dir: string): Promise<number[]> {
  const raw = new Level<string, string>(dir);
  await raw.open();
  const keys = await raw.keys({ gte: 'snap/', lt: 'snap0' }).all();
  await raw.close();
  return [...new Set(keys.map((k) => Number(k.split('/')[2])))];
}

/** A store in `dir` as format 2 wrote it: stream s1's snapshot [['a', 1], ['b', 2]] as a J value (JSON), marked version 2. */
export async function formatTwoStore(dir: string): Promise<void> {
  const store = await CheckpointStore.open(dir);
  await store.commit({ deltas: { s1: { time: 1000, replace: true, puts: [['a', 1]] } } });
  await store.close();
  const raw = new Level<string, string>(dir);
  await raw.open();
  for (const k of await raw.keys({ gte: 'snap/s1/', lt: 'snap/s10' }).all()) await raw.put(k, encodeBulk([['a', 1], ['b', 2]], []));
  await raw.put('meta/format', JSON.stringify({ format: 'dstreams-checkpoint', version: 2 }));
  await raw.close();
}
