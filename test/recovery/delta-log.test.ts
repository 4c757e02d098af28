// The delta log after a crash between two merges (format 2): a job killed with SIGKILL while its
// checkpoint holds a snapshot AND delta entries after it resumes by replaying those entries, and
// every later batch and the final state equal an uninterrupted run's.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupTempDirs, startJob, tempDir } from './helpers.js';

afterEach(cleanupTempDirs);

const TARGET = 25;

const readOutputs = (dir: string): Map<string, string> =>
  new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]),
  );

/** The snapshot times and delta-log times of each stream in a checkpoint directory, read raw. */
async function layout(dir: string): Promise<Map<string, { snaps: number[]; deltas: number[] }>> {
  const db = new Level<string, string>(dir);
  await db.open();
  const out = new Map<string, { snaps: number[]; deltas: number[] }>();
  try {
    for await (const key of db.keys({ gte: 'delta/', lt: 'snap0' })) {
      const [ns, id, time] = key.split('/') as [string, string, string];
      if (ns !== 'delta' && ns !== 'snap') continue;
      let e = out.get(id);
      if (!e) out.set(id, (e = { snaps: [], deltas: [] }));
      const list = ns === 'snap' ? e.snaps : e.deltas;
      if (!list.includes(Number(time))) list.push(Number(time));
    }
  } finally {
    await db.close();
  }
  return out;
}

describe('the delta log after a crash between merges', () => {
  it('is replayed on top of the last snapshot: later batches and the final state as in an uninterrupted run', async () => {
    const refCp = tempDir();
    const refOut = tempDir();
    const ref = startJob(['run', refCp, refOut, String(TARGET)], { RECOVERY_SLOW_MS: '0' });
    await ref.line((l) => l.done === true, 120_000);
    expect((await ref.exited).code, ref.stderr()).toBe(0);
    const expected = readOutputs(refOut);

    // Killed after batch 15: the state streams merged a snapshot at 10 s (their checkpoint
    // interval) and logged 11 s … 15 s after it.
    const cp = tempDir();
    const out = tempDir();
    // Strict checkpoints: batch 15's commit is durable when the run pauses after it.
    const killed = startJob(['run', cp, out, String(TARGET)], { RECOVERY_SLOW_MS: '0', RECOVERY_PAUSE_AFTER: '15000', RECOVERY_OVERLAP_WRITES: '0' });
    await killed.line((l) => l.paused === 15000, 120_000);
    killed.proc.kill('SIGKILL');
    expect((await killed.exited).signal).toBe('SIGKILL');

    const before = await layout(cp);
    const replayed = [...before].filter(([, e]) => e.snaps.length === 1 && e.snaps[0]! <= 10_000 && e.deltas.some((t) => t > e.snaps[0]!));
    expect(replayed.length, JSON.stringify([...before])).toBeGreaterThanOrEqual(2);
    for (const [, e] of before) expect(Math.max(...e.deltas)).toBe(15_000);

    const resumed = startJob(['run', cp, out, String(TARGET)], { RECOVERY_SLOW_MS: '0' });
    await resumed.line((l) => l.done === true, 120_000);
    expect((await resumed.exited).code, resumed.stderr()).toBe(0);
    expect(resumed.lines.find((l) => 'recovered' in l)?.recovered).toBe(15_000);

    const actual = readOutputs(out);
    expect([...actual.keys()]).toEqual([...expected.keys()]);
    for (const [file, content] of expected) expect(actual.get(file), file).toBe(content);
  }, 240_000);
});
