// textFileStream over a folder that already holds 5 000 files at start (newFilesOnly: false),
// default settings: they are read over several bounded batches, each line exactly once. The
// job runs as a child with a 512 MB heap.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext, type CompletedBatchInfo, type FileInputDStream } from '../../src/index.js';
import { DEFAULT_BATCH_CAP } from '../../src/rate/BatchCap.js';
import { runChild } from '../helpers/child.js';
import { tempDir } from './helpers.js';

const FILES = 5000;
const LINES = 200; // 1 M lines, about 36 MB
const PAD = 'y'.repeat(28);

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('a file stream catching up on a full folder', () => {
  it('5 000 files present at start: bounded batches, every line once, RSS bounded', { timeout: 240_000 }, async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const watched = path.join(dir, 'in');
    mkdirSync(watched);
    for (let f = 0; f < FILES; f++) {
      const lines: string[] = [];
      for (let l = 0; l < LINES; l++) lines.push(`${f * LINES + l} ${PAD}`);
      writeFileSync(path.join(watched, `part-${String(f).padStart(5, '0')}.txt`), `${lines.join('\n')}\n`);
    }
    const N = FILES * LINES;
    const run = await runChild('test/receivers/file-backlog-child.ts', [watched, String(N), '1000'], ['--max-old-space-size=512']);
    expect(run.code, `the job failed:\n${run.stderr.slice(-3000)}`).toBe(0);
    expect(run.done!.records).toBe(N);
    expect(run.done!.sum).toBe((N * (N - 1)) / 2);
    const batches = (run.json as Array<{ numRecords: number; numBytes?: number; cap?: number; backlog?: { files: number } }>).filter(
      (b) => b.numRecords > 0,
    );
    expect(batches.length).toBeGreaterThanOrEqual(3);
    expect(batches[0]!.numRecords).toBeLessThanOrEqual(DEFAULT_BATCH_CAP.startRecords);
    for (const b of batches) {
      expect(b.numRecords).toBeLessThanOrEqual(b.cap!);
      expect(b.numBytes!).toBeLessThanOrEqual(DEFAULT_BATCH_CAP.maxBytes);
    }
    const files = batches.map((b) => b.backlog!.files);
    for (let i = 1; i < files.length; i++) expect(files[i]).toBeLessThan(files[i - 1]!);
    expect(files.at(-1)).toBe(0);
    console.log(`5 000 files: ${batches.length} batches, peak RSS ${String(run.done!.peakRssMB)} MB`);
    expect(run.done!.peakRssMB as number).toBeLessThanOrEqual(480);
  });
});

describe('file stream backlog options and position', () => {
  function folder(files: number, lines = 3): string {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    for (let f = 0; f < files; f++) {
      const p = path.join(dir, `f${String(f).padStart(3, '0')}.txt`);
      writeFileSync(p, Array.from({ length: lines }, (_, l) => `${f}.${l}`).join('\n') + '\n');
      // Hours old: older than the remember window, read only because they were there at start.
      const old = new Date(Date.now() - 3 * 3600_000 + f * 1000);
      utimesSync(p, old, old);
    }
    return dir;
  }

  it('refuses a limit that is not a whole number, and a newFilesOnly that is not a boolean (1.5 files read 2; \'false\' read as true)', () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    expect(() => ssc.textFileStream('/tmp', { maxFilesPerBatch: 1.5 })).toThrow('textFileStream maxFilesPerBatch must be a whole number ≥ 1, got 1.5');
    expect(() => ssc.textFileStream('/tmp', { maxBytesPerBatch: '100' as never })).toThrow("maxBytesPerBatch must be a whole number ≥ 1, got the string '100'");
    expect(() => ssc.textFileStream('/tmp', { newFilesOnly: 'false' as never })).toThrow(
      new TypeError("textFileStream newFilesOnly must be true or false, got the string 'false'"),
    );
    expect(() => ssc.textFileStream('/tmp', { newFilesOnly: 0 as never })).toThrow('newFilesOnly must be true or false, got 0');
  });

  it('maxFilesPerBatch (maxFilesPerTrigger-style) replaces the default cap: 10 files, 3 per batch', async () => {
    const dir = folder(10);
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => void ssc.stop());
    const stream = ssc.textFileStream(dir, { newFilesOnly: false, maxFilesPerBatch: 3 }) as FileInputDStream;
    expect(stream.batchCap).toBeUndefined();
    const sizes: number[] = [];
    const waiting: number[] = [];
    stream.glom().foreachRDD((rdd) => void sizes.push(rdd.collect().length));
    ssc.addStreamingListener({ onBatchCompleted: (i: CompletedBatchInfo) => void waiting.push(i.backlog!.files!) });
    await ssc.start();
    for (let i = 0; i < 5; i++) await clock.advance(1000);
    await ssc.stop();
    expect(sizes).toEqual([3, 3, 3, 1, 0]);
    expect(waiting).toEqual([7, 4, 1, 0, 0]);
  });

  it('files waiting in the queue are in the position: restored, they are read however old they are by then', async () => {
    const dir = folder(6);
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => void ssc.stop());
    const s1 = ssc.textFileStream(dir, { newFilesOnly: false, maxFilesPerBatch: 2 }) as FileInputDStream;
    const got1: string[] = [];
    s1.foreachRDD((rdd) => void got1.push(...rdd.collect()));
    await ssc.start();
    await clock.advance(1000);
    const delta = s1.checkpointDelta(1000, false);
    await ssc.stop();
    expect((delta.meta as { queued: unknown[] }).queued).toHaveLength(4);

    const clock2 = new ManualClock(1000);
    const ssc2 = new StreamingContext({ batchDuration: 1000, clock: clock2 });
    cleanups.push(() => void ssc2.stop());
    const s2 = ssc2.textFileStream(dir, { newFilesOnly: false, maxFilesPerBatch: 2 }) as FileInputDStream;
    const got2: string[] = [];
    s2.foreachRDD((rdd) => void got2.push(...rdd.collect()));
    s2.restoreCheckpoint({ time: 1000, state: [], slices: [], meta: JSON.parse(JSON.stringify(delta.meta)) });
    await ssc2.start();
    for (let i = 0; i < 3; i++) await clock2.advance(1000);
    await ssc2.stop();
    const all = (n: number): string[] => Array.from({ length: n }, (_, f) => [0, 1, 2].map((l) => `${f}.${l}`)).flat();
    expect(got1).toEqual(all(2));
    expect([...got1, ...got2]).toEqual(all(6));
  });
});
