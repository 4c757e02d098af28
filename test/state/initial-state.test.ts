// The initial state (updateStateByKey's initialRDD, StateSpec.initialState): the first batch's
// changed keys (onStateChanges) include the keys it loaded from it, in both stores alike; and what
// is not [key, state] pairs is refused — an array when given, an RDD when the first batch reads it.
import { describe, expect, it } from 'vitest';
import { ManualClock, RDD, StateSpec, StreamingContext, type State } from '../../src/index.js';
import type { StateStoreOption } from '../../src/dstream/stateStore.js';
import { tempDirs } from '../helpers/diskState.js';

const tempDir = tempDirs('dstreams-initial-state-');

function context(): { ssc: StreamingContext; clock: ManualClock } {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock, defaultParallelism: 2 });
  ssc.checkpoint(tempDir());
  return { ssc, clock };
}

const show = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (v === undefined ? '<removed>' : v));

/** Each batch's changes as onStateChanges reports them, for both operations, with initial state `initial`. */
async function changes(store: StateStoreOption, initial: Array<[unknown, number]>): Promise<string[]> {
  const { ssc, clock } = context();
  const out: string[] = [];
  const pairs = ssc.queueStream<[unknown, number]>([[['a', 1], ['b', 1], ['gone', -1], [['t', 1], 1]], [['a', 1]]]);
  const u = pairs.updateStateByKey<number>((vs, s) => (vs.includes(-1) ? undefined : (s ?? 0) + vs.length), { initialRDD: initial, stateStore: store });
  u.foreachRDD(() => undefined);
  (u as unknown as { onStateChanges(l: (t: number, k: unknown[], v: unknown[]) => void): void }).onStateChanges((t, keys, values) =>
    out.push(`U ${t} ${show(keys.map((k, i) => [k, values[i]]))}`),
  );
  const m = pairs.mapWithState(
    StateSpec.function((_k: unknown, v: number | undefined, s: State<number>) => {
      if (v === -1) s.remove();
      else s.update((s.getOption() ?? 0) + 1);
    })
      .initialState(initial)
      .stateStore(store),
  );
  m.foreachRDD(() => undefined);
  m.internalStream.onStateChanges((t, keys, values) => out.push(`M ${t} ${show(keys.map((k, i) => [k, values[i]]))}`));
  await ssc.start();
  await clock.advance(2000);
  await ssc.stop();
  return out;
}

describe('the initial state', () => {
  it('is part of the first batch’s changes (onStateChanges), in both stores alike', async () => {
    const initial: Array<[unknown, number]> = [['init', 5], ['a', 10], [['t', 1], 3], ['gone', 2], ['init', 6]];
    const memory = await changes('memory', initial);
    expect(memory.filter((l) => l.startsWith('U 1000'))).toEqual(['U 1000 [["init",6],["a",11],[["t",1],4],["gone","<removed>"],["b",1]]']);
    expect(memory.filter((l) => l.startsWith('M 1000'))).toEqual(['M 1000 [["init",6],["a",11],[["t",1],4],["gone","<removed>"],["b",1]]']);
    expect(memory.filter((l) => l.includes(' 2000 '))).toEqual(['U 2000 [["a",12]]', 'M 2000 [["a",12]]']);
    expect((await changes('disk', initial)).sort()).toEqual([...memory].sort());
  });

  it('mapWithState reads its initial state once, at start() before its inputs start, not in the first batch', async () => {
    const { ssc, clock } = context();
    let reads = 0;
    const initial = RDD.fromArray<[string, number]>([['a', 10], ['b', 20]], 2).map((kv) => (reads++, kv));
    const spec = StateSpec.function((_k: string, v: number | undefined, s: State<number>) => s.update((s.getOption() ?? 0) + (v ?? 0)));
    const m = ssc.queueStream<[string, number]>([[['a', 1]], [['b', 1], ['c', 1]]]).mapWithState(spec.initialState(initial));
    const out: string[] = [];
    m.stateSnapshots().foreachRDD((rdd, t) => void out.push(`${t} ${JSON.stringify(rdd.collect().sort())}`));
    await ssc.start();
    expect(reads).toBe(2);
    await clock.advance(2000);
    await ssc.stop();
    expect(reads).toBe(2);
    expect(out).toEqual(['1000 [["a",11],["b",20]]', '2000 [["a",11],["b",21],["c",1]]']);
  });

  it('refuses an array of anything but [key, state] pairs when given, naming what it got', () => {
    const { ssc } = context();
    const pairs = ssc.queueStream<[string, number]>([]);
    const f = (_k: string, v: number | undefined): number | undefined => v;
    expect(() => StateSpec.function(f).initialState([1, 2] as never)).toThrow(/initialState needs \[key, state\] pairs: element 0 is 1/);
    expect(() => StateSpec.function(f).initialState([['a', 1], ['b']] as never)).toThrow(/element 1 is an array of 1 element/);
    expect(() => pairs.updateStateByKey((_v, s) => s, { initialRDD: [1, 2] as never })).toThrow(/initialRDD needs \[key, state\] pairs: element 0 is 1/);
    expect(() => pairs.updateStateByKey((_v, s) => s, { initialRDD: [['a', 1, 2]] as never })).toThrow(TypeError);
    expect(() => StateSpec.function(f).initialState([['a', 1]])).not.toThrow();
  });

  it.each<[string, StateStoreOption]>([
    ['memory', 'memory'],
    ['disk', 'disk'],
  ])('fails the first batch with a clear error when an initial RDD holds other things than pairs (%s)', async (_what, store) => {
    for (const op of ['updateStateByKey', 'mapWithState'] as const) {
      const { ssc, clock } = context();
      const pairs = ssc.queueStream<[string, number]>([[['a', 1]]]);
      const bad = RDD.fromArray([1, 2]) as unknown as RDD<[string, number]>;
      if (op === 'updateStateByKey') pairs.updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length, { initialRDD: bad, stateStore: store }).foreachRDD(() => undefined);
      else pairs.mapWithState(StateSpec.function((_k: string, _v: number | undefined, s: State<number>) => s.update(1)).initialState(bad).stateStore(store)).foreachRDD(() => undefined);
      await ssc.start();
      await expect(clock.advance(1000).then(() => ssc.awaitTerminationOrTimeout(50))).rejects.toThrow(
        new RegExp(`${op}: the initial state RDD must hold \\[key, state\\] pairs, its element 0 is 1`),
      );
      await ssc.stop().catch(() => undefined);
    }
  });

  it('numPartitions says when it got a string', () => {
    const { ssc } = context();
    const pairs = ssc.queueStream<[string, number]>([]);
    expect(() => StateSpec.function((_k: string, v: number | undefined) => v).numPartitions('2' as never)).toThrow(
      "numPartitions must be a positive integer, got the string '2'",
    );
    for (const stateStore of ['memory', 'disk'] as const) {
      expect(() => pairs.updateStateByKey((_v, s) => s, { numPartitions: '2' as never, stateStore })).toThrow(
        "numPartitions must be a positive integer, got the string '2'",
      );
    }
  });
});
