// A state value must come back from a checkpoint as it was: an instance of a class of its own would
// come back as a plain object (its methods gone) and the restarted job fail, so the checkpoint
// refuses it when it is written — the batch fails, naming the class and the stream. Plain data
// that JSON does not carry (Map, Set, Date, typed arrays) still goes through, and back.
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from '../../src/checkpoint/index.js';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';
import type { StateStoreOption } from '../../src/dstream/stateStore.js';
import { tempDirs } from '../helpers/diskState.js';

const tempDir = tempDirs('dstreams-plain-state-');

class Counter {
  n = 0;
  inc(k: number): this {
    this.n += k;
    return this;
  }
}

function context(dir: string): { ssc: StreamingContext; clock: ManualClock } {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  return { ssc, clock };
}

/** The error batch 1 fails with (undefined: none). */
async function firstBatchError(ssc: StreamingContext, clock: ManualClock): Promise<unknown> {
  await ssc.start();
  let error: unknown;
  try {
    await clock.advance(1000);
    await ssc.awaitTerminationOrTimeout(50);
  } catch (e) {
    error = e;
  }
  await ssc.stop().catch(() => undefined);
  return error;
}

describe('state values in a checkpoint', () => {
  it('encodeValue refuses an instance of a class (anywhere inside), takes Map, Set, Date and typed arrays', () => {
    expect(() => encodeValue(new Counter())).toThrow(/an instance of Counter.*plain object.*plain data/s);
    expect(() => encodeValue({ a: [1, new Map([['k', new Counter()]])] })).toThrow(/an instance of Counter at \.a\[1\]\.get\("k"\)/);
    const plain = { m: new Map([['a', new Set([1, 2])]]), d: new Date(5), t: new Float64Array([1.5, -0]), n: Number.NaN };
    expect(decodeValue(encodeValue(plain))).toEqual(plain);
  });

  it.each<[string, StateStoreOption]>([
    ['memory', 'memory'],
    ['disk', 'disk'],
  ])('fails the batch whose updateStateByKey state is a class instance, naming the class and the stream (%s)', async (_what, store) => {
    const { ssc, clock } = context(tempDir());
    ssc
      .queueStream<[string, number]>([[['a', 1]]])
      .updateStateByKey<Counter>((vs, s) => (s ?? new Counter()).inc(vs.length), { name: 'counters', stateStore: store })
      .foreachRDD(() => undefined);
    const error = await firstBatchError(ssc, clock);
    expect(String(error)).toMatch(/n:counters.*an instance of Counter.*plain data \(primitives, plain objects, arrays, Map, Set, Date/s);
  });

  it.each<[string, StateStoreOption]>([
    ['memory', 'memory'],
    ['disk', 'disk'],
  ])('fails the batch whose mapWithState state is a class instance, naming the class and the stream (%s)', async (_what, store) => {
    const { ssc, clock } = context(tempDir());
    ssc
      .queueStream<[string, number]>([[['a', 1]]])
      .mapWithState(
        StateSpec.function((_k: string, v: number | undefined, s: State<{ c: Counter }>) => void s.update({ c: new Counter().inc(v ?? 0) }))
          .name('counters')
          .stateStore(store),
      )
      .foreachRDD(() => undefined);
    const error = await firstBatchError(ssc, clock);
    // The disk store keeps [state, time of last write]: the path starts at [0] there.
    expect(String(error)).toMatch(/n:counters.*an instance of Counter at (\[0\])?\.c.*plain data/s);
  });

  it.each<[string, StateStoreOption]>([
    ['memory', 'memory'],
    ['disk', 'disk'],
  ])('keeps Map and Set states across a restart (%s)', async (_what, store) => {
    const dir = tempDir();
    const seen: string[] = [];
    const build = (): { ssc: StreamingContext; clock: ManualClock } => {
      const { ssc, clock } = context(dir);
      ssc
        .rateStream<[string, number]>({ rowsPerBatch: 1, generate: (t) => ['a', t] })
        .updateStateByKey<Map<string, Set<number>>>(
          (vs, s) => {
            const m = s ?? new Map<string, Set<number>>([['times', new Set()]]);
            for (const v of vs) m.get('times')!.add(v);
            seen.push(`${m instanceof Map} ${[...m.get('times')!].join(',')}`);
            return m;
          },
          { name: 'sets', stateStore: store },
        )
        .foreachRDD(() => undefined);
      return { ssc, clock };
    };
    const first = build();
    await first.ssc.start();
    await first.clock.advance(2000);
    await first.ssc.stop();
    let next: { ssc: StreamingContext; clock: ManualClock } | undefined;
    const resumed = await StreamingContext.getOrCreate(dir, () => (next = build()).ssc);
    await resumed.start();
    await next!.clock.advance(3000);
    await resumed.stop();
    expect(seen).toEqual(['true 1000', 'true 1000,2000', 'true 1000,2000,3000']);
  });
});
