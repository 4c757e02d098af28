// A scaled-out state applies a batch's records only for the tasks its copy still owns: a task lost
// after the batch read it (a rebalance while the batch was read or queued) is the new owner's. Its
// keys, dropped from the state at the loss, used to come back with that batch's records alone —
// partial values, written to outputs, and a later change of them failed the copy's commit.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StateSpec, StreamingContext, type DStream, type State } from '../../src/index.js';
import { partitionForKey } from '../../src/kafka/partitioner.js';
import { StateChangelog } from '../../src/scaleout/changelog.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';

const counted = {
  updateStateByKey: (pairs: DStream<[string, number]>) => pairs.updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length),
  mapWithState: (pairs: DStream<[string, number]>) =>
    pairs
      .mapWithState(
        StateSpec.function((k: string, v: number | undefined, s: State<number>) => {
          s.update((s.getOption() ?? 0) + (v ?? 0));
          return k;
        }),
      )
      .stateSnapshots(),
};

describe('a scaled-out state after a task was lost', () => {
  for (const op of ['updateStateByKey', 'mapWithState'] as const) {
    it(`${op}: the lost task's records of a batch read before the loss stay out of the state`, { timeout: 60_000 }, async () => {
      const input = uniqueTopic('lost-task-in');
      await createTopic(input, 1);
      const words = Array.from({ length: 20 }, (_, i) => `w${i}`);
      await produceLines(input, words, { partition: 0 });
      const dir = mkdtempSync(path.join(tmpdir(), 'lost-task-'));
      const clock = new ManualClock();
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      ssc.checkpoint(dir);
      const pairs = KafkaUtils.createDirectStream(ssc, [input], { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'earliest' }).map(
        ([, v]): [string, number] => [v, 1],
      );
      const keys: string[] = [];
      counted[op](pairs).foreachRDD((rdd) => void keys.push(...rdd.collect().map(([k]) => k as string)));
      // The batch read both tasks; task 1 (of 2) was lost since, task 0 is still this copy's.
      const host = { graph: ssc.graph, applicationId: `app-${randomUUID().slice(0, 8)}`, partitionCount: () => 2, rangesOf: () => [], owns: (t: number) => t === 0, reads: () => true };
      StateChangelog.forGraph(host);
      try {
        await ssc.start();
        await clock.advance(1000);
        expect(keys.sort()).toEqual(words.filter((w) => partitionForKey(w, 2) === 0).sort());
      } finally {
        await ssc.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
