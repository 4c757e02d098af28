// The window changelog of a copy that lost a task: the batches that leave the window later are
// tombstoned in the changelog by the task's new owner, not by this copy — which neither reads nor
// owns the task any more, and whose transaction would refuse the record (the batch, and the copy,
// used to fail one window length after the task moved).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, ReducedWindowedDStream, Seconds, StreamingContext } from '../../src/index.js';
import { partitionForKey } from '../../src/kafka/partitioner.js';
import { WindowChangelog } from '../../src/scaleout/windowChangelog.js';
import type { TaskRecord } from '../../src/kafka/taskProducer.js';

describe('WindowChangelog after a task moved away', () => {
  it('stages no tombstone for the lost task when its batches leave the window; it keeps tombstoning its own', async () => {
    // One key per task of two.
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const k0 = keys.find((k) => partitionForKey(k, 2) === 0)!;
    const k1 = keys.find((k) => partitionForKey(k, 2) === 1)!;
    const owned = new Set([0, 1]);
    const host = { applicationId: 'app', rangesOf: () => [], owns: (t: number) => owned.has(t), reads: (_time: number, t: number) => owned.has(t) };
    const dir = mkdtempSync(path.join(tmpdir(), 'window-changelog-'));
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: Seconds(1), clock, checkpointDir: dir });
    // After batch 2 the copy no longer reads task 1's partition: only k0 comes in.
    const batches = Array.from({ length: 6 }, (_, i): Array<[string, number]> => (i < 2 ? [[k0, 1], [k1, 1]] : [[k0, 1]]));
    const w = ssc.queueStream(batches).reduceByKeyAndWindow((x, y) => x + y, (x, y) => x - y, Seconds(2), Seconds(1)) as ReducedWindowedDStream<string, number>;
    w.foreachRDD(() => undefined);
    const changelog = new WindowChangelog(w as ReducedWindowedDStream<unknown, unknown>, 2, host);
    const staged: Array<{ time: number; task: number; record: TaskRecord }> = [];
    changelog.watch((time, records) => {
      for (const r of records) {
        // What the batch's transaction checks (transactions.ts stageChanges).
        if (!host.owns(r.task) && !host.reads(time, r.task)) throw new Error(`batch ${time} staged a record of task ${r.task}, which it neither reads nor owns`);
        staged.push({ time, ...r });
      }
    });
    try {
      await ssc.start();
      await clock.advance(2000);
      // Task 1 moves to another copy.
      owned.delete(1);
      changelog.drop(1);
      await clock.advance(4000);
      const tombstones = staged.filter((s) => s.record.value === null && String(s.record.key).startsWith('s\u0000'));
      expect(tombstones.length).toBeGreaterThan(0);
      expect(tombstones.every((s) => s.task === 0)).toBe(true);
    } finally {
      await ssc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
