// start() demands checkpoint(dir) for the stateful streams that run — those an output depends on
// — as Spark validates only the output streams' lineage (DStreamGraph.validate): a stateful stream
// no output reads is never computed, and needs no checkpoint directory.
import { describe, expect, it } from 'vitest';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';

const add = (a: number, b: number): number => a + b;

function context(): { ssc: StreamingContext; clock: ManualClock } {
  const clock = new ManualClock();
  return { ssc: new StreamingContext({ batchDuration: 1000, clock }), clock };
}

describe('the checkpoint directory start() demands', () => {
  it('stateful streams no output reads: start() runs without one, and they are never computed', async () => {
    const { ssc, clock } = context();
    const pairs = ssc.queueStream<[string, number]>([[['a', 1]], [['a', 2]]]);
    let updates = 0;
    pairs.updateStateByKey<number>((vs, s) => (updates++, (s ?? 0) + vs.length));
    pairs.mapWithState(StateSpec.function((_k: string, v: number | undefined, st: State<number>) => st.update(v ?? 0)));
    pairs.reduceByKeyAndWindow(add, (a, b) => a - b, 2000, 1000);
    const seen: unknown[] = [];
    pairs.foreachRDD((rdd) => void seen.push(...rdd.collect()));
    await ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    expect(seen).toEqual([['a', 1], ['a', 2]]);
    expect(updates).toBe(0);
  });

  it('a stateful stream an output reads, directly or further down, still needs one', async () => {
    for (const build of [
      (p: ReturnType<typeof pairsOf>) => p.updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length).foreachRDD(() => undefined),
      (p: ReturnType<typeof pairsOf>) => p.updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length).map((kv) => kv).count().pprint(),
      (p: ReturnType<typeof pairsOf>) => p.reduceByKeyAndWindow(add, (a, b) => a - b, 2000, 1000).foreachRDD(() => undefined),
    ]) {
      const { ssc } = context();
      build(pairsOf(ssc));
      await expect(ssc.start()).rejects.toThrow(/needs a checkpoint directory: call ssc.checkpoint\(dir\) before start\(\)/);
      await ssc.stop();
    }
  });

  it('an unused stateful stream does not hide a used one', async () => {
    const { ssc } = context();
    const pairs = pairsOf(ssc);
    pairs.updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length);
    pairs.reduceByKeyAndWindow(add, (a, b) => a - b, 2000, 1000).foreachRDD(() => undefined);
    await expect(ssc.start()).rejects.toThrow('reduceByKeyAndWindow with an inverse function needs a checkpoint directory');
    await ssc.stop();
  });
});

function pairsOf(ssc: StreamingContext) {
  return ssc.queueStream<[string, number]>([[['a', 1]]]);
}
