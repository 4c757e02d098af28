// A scaled-out direct stream reads the partitions its copy owns (PartitionOwnership). A partition
// lost and gained again between two batches generated — the group member crashed and rejoined
// within a batch, say — starts over from where the gain says (the state was restored as of that
// offset, the batches read since were never committed), not from where the stream had got to.
import { describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext, type OffsetRange } from '../../src/index.js';
import { DirectKafkaInputDStream } from '../../src/direct/DirectKafkaInputDStream.js';
import type { OwnedPartition, PartitionOwnership } from '../../src/direct/ownership.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';

describe('direct stream with a partition lost and gained again between two batches', () => {
  it('reads it again from the new gain’s start', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('regain');
    await createTopic(topic, 1);
    await produceLines(topic, Array.from({ length: 30 }, (_, i) => `r${i}`), { partition: 0 });
    // Gain 1 starts at 0; before batch 2000 the partition is lost and gained again at offset 5.
    let owned: OwnedPartition = { start: 0, gain: 1 };
    const ownership: PartitionOwnership = {
      register: () => undefined,
      owned: () => new Map([[`${topic}:0`, owned]]),
      rangesDecided: () => undefined,
    };
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const params = resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers(), maxRatePerPartition: 10 });
    const stream = new DirectKafkaInputDStream(ssc.graph, [topic], params, new Map(), { ownership });
    ssc.addBatchHooks(stream.batchHooks);
    const ranges: Array<[number, number]> = [];
    stream.foreachRDD((rdd) => {
      for (const r of rdd.offsetRanges() as OffsetRange[]) ranges.push([r.fromOffset, r.untilOffset]);
    });
    try {
      await ssc.start();
      await clock.advance(1000);
      owned = { start: 5, gain: 2 };
      await clock.advance(1000);
      await clock.advance(1000);
      expect(ranges).toEqual([
        [0, 10],
        [5, 15],
        [15, 25],
      ]);
    } finally {
      await ssc.stop();
    }
  });
});
