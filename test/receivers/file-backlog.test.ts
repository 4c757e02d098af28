// textFileStream over a folder that already holds 5 000 files at start (newFilesOnly: false),
// default settings: they are read over several bounded batches, each line exactly once. The
// job runs as a child with a 512 MB heap.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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
