// A state value should come back from a checkpoint as it was. An instance of a class of its own
// comes back as a plain object (its methods gone), so writing one warns, once per class, naming
// it: the job runs as it is (Spark's own tests keep class instances in state), and the warning
// says a resumed job would not. A function, or a Promise, cannot be stored: the batch fails naming it. Plain
// data that JSON does not carry (Map, Set, Date, typed arrays) goes through, and back.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeValue, encodeValue } from '../../src/checkpoint/index.js';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';
import type { StateStoreOption } from '../../src/dstream/stateStore.js';
import { tempDirs } from '../helpers/diskState.js';

const tempDir = tempDirs('dstreams-plain-state-');

afterEach(() => void vi.restoreAllMocks());

function context(dir: string): { ssc: StreamingContext; clock: ManualClock } {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  return { ssc, clock };
}

/** Runs `batches` batches; the error the context failed with (undefined: none). */
async function run(ssc: StreamingContext, clock: ManualClock, batches = 1): Promise<unknown> {
  await ssc.start();
  let error: unknown;
  try {
    await clock.advance(batches * 1000);
    await ssc.awaitTerminationOrTimeout(50);
  } catch (e) {
    error = e;
  }
  await ssc.stop().catch(() => undefined);
  return error;
}

describe('state values in a checkpoint', () => {
  it('encodeValue warns once per class for an instance of a class (anywhere inside), refuses a function, takes Map, Set, Date and typed arrays', () => {
    class Once {}
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(() => encodeValue({ a: [1, new Map([['k', new Once()]])] })).not.toThrow();
    expect(() => encodeValue(new Once())).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/an instance of Once at \.a\[1\]\.get\("k"\).*plain object.*plain data/s);
    expect(() => encodeValue({ f: () => 1 })).toThrow(/a function .* at \.f: it cannot be stored/);
    const plain = { m: new Map([['a', new Set([1, 2])]]), d: new Date(5), t: new Float64Array([1.5, -0]), n: Number.NaN };
    expect(decodeValue(encodeValue(plain))).toEqual(plain);
    // A Date of a subclass (the SQL layer's DATE values) comes back a Date: no warning.
    class Day extends Date {}
    expect(decodeValue(encodeValue({ d: new Day(86_400_000), m: new Map() }))).toEqual({ d: new Date(86_400_000), m: new Map() });
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it.each<[string, StateStoreOption]>([
    ['memory', 'memory'],
    ['disk', 'disk'],
  ])('runs a job whose state is a class instance, methods kept while it runs, and says once that a restart would lose the class (%s)', async (_what, store) => {
    // A class of its own per store: the warning is given once per class in a process.
    const name = `Tally_${store}`;
    const Tally = {
      [name]: class {
        n = 0;
        add(k: number): this {
          this.n += k;
          return this;
        }
      },
    }[name]!;
    type Tally = InstanceType<typeof Tally>;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { ssc, clock } = context(tempDir());
    const out: number[] = [];
    ssc
      .queueStream<[string, number]>([[['a', 1]], [['a', 2]]])
      .updateStateByKey<Tally>((vs, s) => (s ?? new Tally()).add(vs.reduce((x, y) => x + y, 0)), { name: 'tallies', stateStore: store })
      .foreachRDD((rdd) => void out.push(...rdd.collect().map(([, t]) => t.n)));
    expect(await run(ssc, clock, 2)).toBeUndefined();
    expect(out).toEqual([1, 3]);
    const warnings = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes(name));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/an instance of Tally_.*resumed from the checkpoint gets it back as a plain object/s);
  });

  it('fails the batch whose mapWithState state holds a function, naming it', async () => {
    const { ssc, clock } = context(tempDir());
    ssc
      .queueStream<[string, number]>([[['a', 1]]])
      .mapWithState(
        StateSpec.function((_k: string, v: number | undefined, s: State<{ f: () => number }>) => void s.update({ f: () => v ?? 0 })).name('fns'),
      )
      .foreachRDD(() => undefined);
    expect(String(await run(ssc, clock))).toMatch(/n:fns.*a function .* at \.f: it cannot be stored/s);
  });

  it.each<[string, StateStoreOption]>([
    ['memory', 'memory'],
    ['disk', 'disk'],
  ])('fails the batch whose state holds a Promise, naming it and where, with no class warning first (%s)', async (_what, store) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { ssc, clock } = context(tempDir());
    ssc
      .queueStream<[string, number]>([[['a', 1]]])
      .updateStateByKey<{ pending: Promise<number> }>((vs) => ({ pending: Promise.resolve(vs.length) }), { name: 'promises', stateStore: store })
      .foreachRDD(() => undefined);
    expect(String(await run(ssc, clock))).toMatch(/an instance of Promise at \.pending, which cannot be stored (in a checkpoint|on disk) .*await a Promise/s);
    expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('Promise'))).toEqual([]);
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
