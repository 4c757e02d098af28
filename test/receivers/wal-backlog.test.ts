// A receiver's write-ahead log holding 500 k records when the process is killed (SIGKILL): on
// recovery they are replayed a segment at a time into bounded batches (LogReplay), each record
// exactly once. The recovered job runs as a child with a 512 MB heap.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BATCH_CAP } from '../../src/rate/BatchCap.js';
import { runChild } from '../helpers/child.js';
import { ROOT, tempDir, waitFor } from './helpers.js';

const N = 500_000;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('a receiver write-ahead log replayed after a crash', () => {
  it('500 k logged records, SIGKILL, recovery: bounded batches, every record once, RSS bounded', { timeout: 240_000 }, async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/receivers/wal-backlog-child.ts'), dir, String(N), 'log'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: ROOT,
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    await waitFor(() => out.includes(`STORED ${N}`), `the child to log ${N} records`, 180_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // Batch 1000 (records 0-999) completed before the kill.
    const first = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { batch: number; numRecords: number });
    expect(first).toEqual([expect.objectContaining({ batch: 1000, numRecords: 1000 })]);

    const run = await runChild('test/receivers/wal-backlog-child.ts', [dir, String(N), 'replay'], ['--max-old-space-size=512']);
    expect(run.code, `the recovery failed:\n${run.stderr.slice(-3000)}`).toBe(0);
    const batches = (run.json as Array<{ batch: number; numRecords: number; cap?: number; backlog?: { bytes: number } }>).filter(
      (b) => b.numRecords > 0,
    );
    // Records 1000 … N-1, each once.
    expect(run.done!.records).toBe(N - 1000);
    expect(run.done!.sum).toBe((N * (N - 1)) / 2 - (1000 * 999) / 2);
    // Not one batch: the first at the conservative start, then as the job's rate allows, each within its cap.
    expect(batches.length).toBeGreaterThanOrEqual(2);
    expect(batches[0]!.numRecords).toBeLessThanOrEqual(DEFAULT_BATCH_CAP.startRecords);
    for (const b of batches) {
      expect(b.numRecords).toBeLessThanOrEqual(b.cap!);
      expect(b.cap!).toBeLessThanOrEqual(DEFAULT_BATCH_CAP.maxRecords);
    }
    expect(batches.at(-1)!.backlog!.bytes).toBe(0);
    console.log(`500 k-record log replay: ${batches.length} batches, peak RSS ${String(run.done!.peakRssMB)} MB`);
    expect(run.done!.peakRssMB as number).toBeLessThanOrEqual(480);
  });
});
