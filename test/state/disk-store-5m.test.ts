// Issue 17: mapWithState and updateStateByKey with 5 M distinct keys and the disk state store, in
// a child process limited to a 512 MB heap (--max-old-space-size=512), killed with SIGKILL half
// way and resumed with getOrCreate: it runs, recovers, and every key's count is exact. Peak RSS
// is printed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore, MAX_UNWRITTEN_BATCHES } from '../../src/checkpoint/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KEYS = 5_000_000;
const ROWS = 125_000;
/** 40 batches write every key once; 4 more write the first 500 000 keys again. */
const BATCHES = 44;
const KILL_AFTER = 18_000;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'dstreams-disk-5m-'));
  dirs.push(d);
  return d;
};

interface Line {
  recovered?: number | null;
  completed?: number;
  rss?: number;
  onDisk?: number;
  inMemory?: number;
  done?: boolean;
  peakRss?: number;
  state?: number;
  keys?: number;
  sum?: number;
}

interface Job {
  dir: string;
  rows: number;
  batches: number;
  op: 'mapWithState' | 'updateStateByKey';
}

function run(job: Job, killAfter?: number): Promise<{ lines: Line[]; code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--max-old-space-size=512',
        '--import',
        'tsx',
        path.join(root, 'test/fixtures/disk-state-job.ts'),
        job.dir,
        String(KEYS),
        String(job.rows),
        String(job.batches),
        job.op,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: Line[] = [];
    let buf = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = JSON.parse(buf.slice(0, nl)) as Line;
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (killAfter !== undefined && line.completed === killAfter) {
          // somewhere in the next batch (or between two)
          setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 400));
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ lines, code, signal, stderr }));
  });
}

describe('mapWithState with 5 M distinct keys on the disk state store, 512 MB heap', () => {
  it('mapWithState runs, recovers after SIGKILL, and every count is exact', async () => {
    const dir = tempDir();
    const job: Job = { dir, rows: ROWS, batches: BATCHES, op: 'mapWithState' };
    const first = await run(job, KILL_AFTER);
    expect(first.signal, first.stderr).toBe('SIGKILL');
    const completed = first.lines.filter((l) => l.completed !== undefined);
    expect(completed.length).toBeGreaterThanOrEqual(KILL_AFTER / 1000);

    const second = await run(job);
    expect(second.code, second.stderr).toBe(0);
    const recovered = second.lines.find((l) => 'recovered' in l)!.recovered!;
    // Group commit (the default): the last few completed batches' commits may not have been written.
    expect(recovered).toBeGreaterThanOrEqual(KILL_AFTER - MAX_UNWRITTEN_BATCHES * 1000);
    const done = second.lines.find((l) => l.done)!;
    const last = second.lines.filter((l) => l.completed !== undefined).at(-1)!;
    expect(last.completed).toBe(BATCHES * 1000);
    expect(last.onDisk).toBe(KEYS);
    const peak = Math.max(done.peakRss!, ...completed.map((l) => l.rss!));
    console.log(
      `disk state, ${KEYS.toLocaleString('en')} keys: killed after batch ${Math.max(...completed.map((l) => l.completed!))}, ` +
        `resumed from ${recovered}; peak RSS ${(peak / 2 ** 20).toFixed(0)} MB; keys in memory at the end ${last.inMemory}`,
    );

    // Every key's count, read back from the store as it goes (never the whole state in memory).
    const store = await CheckpointStore.open(dir);
    try {
      let n = 0;
      let sum = 0;
      let wrong = 0;
      // The disk store keeps [state, time of the key's last write].
      for await (const [k, [count, time]] of store.readState<number, [number, number]>('n:counts', { batchSize: 20_000 })) {
        n++;
        sum += count;
        if (count !== (k < (BATCHES * ROWS) % KEYS ? 2 : 1) || !(time > 0 && time <= BATCHES * 1000)) wrong++;
      }
      expect(n).toBe(KEYS);
      expect(wrong).toBe(0);
      expect(sum).toBe(BATCHES * ROWS);
    } finally {
      await store.close();
    }
  }, 900_000);

  // Every batch offers every key to update (Spark's semantics): 10 batches write each key once,
  // 2 more the first 1 M keys again; each batch also reads the whole state (lazily, from disk).
  const U_ROWS = 500_000;
  const U_BATCHES = 12;
  const U_KILL_AFTER = 6000;

  it('updateStateByKey runs, recovers after SIGKILL, and every count is exact', async () => {
    const dir = tempDir();
    const job: Job = { dir, rows: U_ROWS, batches: U_BATCHES, op: 'updateStateByKey' };
    const first = await run(job, U_KILL_AFTER);
    expect(first.signal, first.stderr).toBe('SIGKILL');
    const completed = first.lines.filter((l) => l.completed !== undefined);
    expect(completed.length).toBeGreaterThanOrEqual(U_KILL_AFTER / 1000);
    // Before the kill: each batch's whole state, read from disk, has every record counted once.
    for (const l of first.lines.filter((x) => x.state !== undefined)) {
      expect(l.sum).toBe((l.state! / 1000) * U_ROWS);
      expect(l.keys).toBe(Math.min(KEYS, (l.state! / 1000) * U_ROWS));
    }

    const second = await run(job);
    expect(second.code, second.stderr).toBe(0);
    const recovered = second.lines.find((l) => 'recovered' in l)!.recovered!;
    expect(recovered).toBeGreaterThanOrEqual(U_KILL_AFTER - MAX_UNWRITTEN_BATCHES * 1000);
    const states = second.lines.filter((l) => l.state !== undefined);
    expect(states.at(-1)!.state).toBe(U_BATCHES * 1000);
    for (const l of states) {
      expect(l.sum).toBe((l.state! / 1000) * U_ROWS);
      expect(l.keys).toBe(Math.min(KEYS, (l.state! / 1000) * U_ROWS));
    }
    const last = second.lines.filter((l) => l.completed !== undefined).at(-1)!;
    expect(last.onDisk).toBe(KEYS);
    const done = second.lines.find((l) => l.done)!;
    const peak = Math.max(done.peakRss!, ...completed.map((l) => l.rss!));
    console.log(
      `disk updateStateByKey, ${KEYS.toLocaleString('en')} keys: killed after batch ${Math.max(...completed.map((l) => l.completed!))}, ` +
        `resumed from ${recovered}; peak RSS ${(peak / 2 ** 20).toFixed(0)} MB; keys in memory at the end ${last.inMemory}`,
    );

    const store = await CheckpointStore.open(dir);
    try {
      let n = 0;
      let sum = 0;
      let wrong = 0;
      for await (const [k, count] of store.readState<number, number>('n:counts', { batchSize: 20_000 })) {
        n++;
        sum += count;
        if (count !== (k < (U_BATCHES * U_ROWS) % KEYS ? 2 : 1)) wrong++;
      }
      expect(n).toBe(KEYS);
      expect(wrong).toBe(0);
      expect(sum).toBe(U_BATCHES * U_ROWS);
    } finally {
      await store.close();
    }
  }, 1_200_000);
});
