// A textFileStream batch generated, then the process SIGKILLed while its output ran (its
// completion never checkpointed), a new file moved in meanwhile: the recovered job runs that
// batch again with exactly the files it read the first time — the new file goes to the next
// batch (Spark checkpoints each batch's selected files: batchTimeToSelectedFiles). Strict and
// group-commit checkpoint writes; a crash in the first batch (no batch completed: the start
// record), with newFilesOnly true and false; an empty batch stays empty.
import { afterEach, describe, expect, it } from 'vitest';
import { runChild } from '../helpers/child.js';
import { tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

type Out = { run: string; batch?: number; lines?: string[]; recoveredFrom?: number | null; error?: string };

async function crashAndRecover(crashAt: number, writes: 'strict' | 'group', newFilesOnly: boolean, empty = false): Promise<{ first: Out[]; recovered: Out[] }> {
  const { dir, remove } = tempDir('dstreams-file-rerun-');
  cleanups.push(remove);
  const args = (run: string): string[] => [dir, run, String(crashAt), writes, newFilesOnly ? 'yes' : 'no', empty ? 'yes' : 'no'];
  const first = await runChild('test/receivers/file-rerun-child.ts', args('first'), [], 60_000);
  expect(first.signal, `the first run was not killed:\n${first.stdout}\n${first.stderr.slice(-2000)}`).toBe('SIGKILL');
  const recovered = await runChild('test/receivers/file-rerun-child.ts', args('recover'), [], 60_000);
  expect(recovered.code, `recovery failed:\n${recovered.stderr.slice(-3000)}`).toBe(0);
  return { first: first.json as Out[], recovered: recovered.json as Out[] };
}

const batches = (out: Out[]): Array<[number, string[]]> => out.filter((o) => o.batch !== undefined).map((o) => [o.batch!, o.lines!]);
const lines = (name: string): string[] => [`${name}-1`, `${name}-2`];

describe('a file stream batch re-run after a crash', () => {
  for (const writes of ['strict', 'group'] as const) {
    it(`reads exactly the files it read the first time (${writes} checkpoint writes)`, { timeout: 120_000 }, async () => {
      const { first, recovered } = await crashAndRecover(2000, writes, true);
      expect(batches(first)).toEqual([
        [1000, lines('a.txt')],
        [2000, lines('b.txt')],
      ]);
      expect(recovered.find((o) => 'recoveredFrom' in o)?.recoveredFrom).toBe(1000);
      expect(batches(recovered)).toEqual([
        [2000, lines('b.txt')],
        [3000, lines('c.txt')],
      ]);
    });
  }

  it('an empty batch stays empty when re-run, though a file came meanwhile', { timeout: 120_000 }, async () => {
    const { first, recovered } = await crashAndRecover(2000, 'strict', true, true);
    expect(batches(first)).toEqual([
      [1000, lines('a.txt')],
      [2000, []],
    ]);
    expect(batches(recovered)).toEqual([
      [2000, []],
      [3000, lines('c.txt')],
    ]);
  });

  for (const newFilesOnly of [true, false]) {
    it(`a crash in the first batch (start record, newFilesOnly: ${String(newFilesOnly)}): the first batch re-runs with its files`, { timeout: 120_000 }, async () => {
      const { first, recovered } = await crashAndRecover(1000, 'group', newFilesOnly);
      expect(batches(first)).toEqual([[1000, lines('a.txt')]]);
      expect(recovered.find((o) => 'recoveredFrom' in o)?.recoveredFrom).toBeNull(); // started fresh, from the start record
      expect(batches(recovered)).toEqual([
        [1000, lines('a.txt')],
        [2000, lines('c.txt')],
        [3000, []],
      ]);
    });
  }
});
