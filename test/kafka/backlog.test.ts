// A direct Kafka stream started from `earliest` on a topic with a 2 M-record backlog, with the
// default settings: the backlog is read in bounded batches (src/rate/BatchCap.ts), never in one.
// The job runs as a child with a 512 MB heap, so a batch that no longer fits fails loudly.
import { describe, expect, it } from 'vitest';
import { DEFAULT_BATCH_CAP } from '../../src/rate/BatchCap.js';
import { runChild } from '../helpers/child.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';

const N = 2_000_000;
const PAD = 'x'.repeat(24);

describe('a direct Kafka stream catching up on a backlog', () => {
  it('2 M records from earliest, default settings: bounded batches back to back, counts exact, RSS bounded', { timeout: 480_000 }, async () => {
    const brokers = kafkaBrokers();
    const topic = uniqueTopic('backlog');
    await createTopic(topic, 4);
    function* lines(): Iterable<string> {
      for (let i = 0; i < N; i++) yield `${i} ${PAD}`;
    }
    await produceLines(topic, lines(), { partitions: 4, batchSize: 20_000 });

    const run = await runChild('test/kafka/backlog-child.ts', [brokers, topic, String(N), '1000'], ['--max-old-space-size=512']);
    expect(run.code, `the job failed:\n${run.stderr.slice(-3000)}`).toBe(0);
    const done = run.done!;
    expect(done.records).toBe(N);
    expect(done.sum).toBe((N * (N - 1)) / 2);

    const batches = run.json.filter((j) => 'batch' in j) as Array<{
      batch: number;
      numRecords: number;
      numBytes: number;
      backlog: { records: number };
    }>;
    const caps = new Map(run.json.filter((j) => 'cap' in j).map((j) => [j.time as number, j.cap as number]));
    const withData = batches.filter((b) => b.numRecords > 0);
    expect(withData.length).toBeGreaterThanOrEqual(4);
    // No batch over its cap; the cap never over the defaults' maximum; the first one conservative.
    for (const b of withData) {
      const cap = caps.get(b.batch);
      expect(cap, `batch ${b.batch} has a cap`).toBeDefined();
      expect(b.numRecords).toBeLessThanOrEqual(cap!);
      expect(cap!).toBeLessThanOrEqual(DEFAULT_BATCH_CAP.maxRecords);
      expect(b.numBytes).toBeLessThanOrEqual(DEFAULT_BATCH_CAP.maxBytes);
    }
    expect(withData[0]!.numRecords).toBeLessThanOrEqual(DEFAULT_BATCH_CAP.startRecords);
    // The backlog the listener shows shrinks batch after batch to nothing.
    const backlogs = withData.map((b) => b.backlog.records);
    for (let i = 1; i < backlogs.length; i++) expect(backlogs[i]).toBeLessThanOrEqual(backlogs[i - 1]!);
    expect(backlogs.at(-1)).toBe(0);
    expect(withData.reduce((a, b) => a + b.numRecords, 0)).toBe(N);
    // Caught up, the scheduling delay falls back under a batch interval (waited for, up to 60
    // batches: on a busy machine the batches queued behind the last big one take a few).
    expect(done.tailSchedulingDelay as number, `after ${String(done.batchesAfterCatchUp)} batches`).toBeLessThan(1000);
    console.log(
      `2 M-record backlog: ${withData.length} batches, peak RSS ${String(done.peakRssMB)} MB, ${String(done.ms)} ms; ` +
        `scheduling delay under a batch ${String(done.batchesAfterCatchUp)} batch(es) after catching up`,
    );
    // The whole backlog in one batch takes 1.8–2 GB and dies under this heap limit. Bounded, the
    // peak follows the cap, which grows with the rate the job shows (up to maxRecords): 260–470 MB
    // on a busy machine, 520–550 MB on a quiet one (two batches in memory: the read-ahead).
    expect(done.peakRssMB as number).toBeLessThanOrEqual(640);
  });
});
