// Every windowed operation can be named (`{ name }` in its last argument), so a job whose code
// changed (here: one more output) resumes through getOrCreate with the window's contents: the
// windows after the restart are those of the job that never stopped. The numPartitions-like last
// argument takes the options object as well as Spark's number.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext, type DStream } from '../../src/index.js';
import { asSet, runStream } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'dstreams-named-window-'));
  dirs.push(d);
  return d;
};

const add = (a: number, b: number): number => a + b;
const sub = (a: number, b: number): number => a - b;
type Words = DStream<string>;
const pairsOf = (s: Words): DStream<[string, number]> => s.map((w): [string, number] => [w, w.length]);
const lengths = (s: Words): DStream<number> => s.map((w) => w.length);

/** Each windowed operation, named 'win', over a stream of words. */
const OPERATIONS: Record<string, (s: Words) => DStream<unknown>> = {
  window: (s) => s.window(4000, 1000, { name: 'win' }),
  countByWindow: (s) => s.countByWindow(4000, 1000, { name: 'win' }),
  'reduceByKeyAndWindow with an inverse': (s) => pairsOf(s).reduceByKeyAndWindow(add, sub, 4000, 1000, { name: 'win' }),
  'reduceByKeyAndWindow, inverse null': (s) => pairsOf(s).reduceByKeyAndWindow(add, null, 4000, 1000, { name: 'win' }),
  'reduceByKeyAndWindow(f, w, s, options)': (s) => pairsOf(s).reduceByKeyAndWindow(add, 4000, 2000, { numPartitions: 3, name: 'win' }),
  reduceByWindow: (s) => lengths(s).reduceByWindow(add, null, 4000, 1000, { name: 'win' }),
  'reduceByWindow(f, w, s, options)': (s) => lengths(s).reduceByWindow(add, 4000, 1000, { name: 'win' }),
  'reduceByWindow with an inverse': (s) => lengths(s).reduceByWindow(add, sub, 4000, 1000, { name: 'win' }),
  groupByKeyAndWindow: (s) => pairsOf(s).groupByKeyAndWindow(4000, 1000, { name: 'win' }),
  countByValueAndWindow: (s) => s.countByValueAndWindow(4000, 1000, { numPartitions: 2, name: 'win' }),
};

const WORDS = ['to', 'be', 'or', 'not', 'that', 'is', 'the', 'question'];

interface Job {
  ssc: StreamingContext;
  clock: ManualClock;
  windows: Map<number, string[]>;
}

/** v1: the window and its output; v2: the same and one more output (the code change). */
function job(dir: string, operation: string, v2: boolean): Job {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  const windows = new Map<number, string[]>();
  const words = ssc.rateStream<string>({ rowsPerBatch: 3, generate: (t, i) => WORDS[(t / 1000 * 3 + i * 5) % WORDS.length]! });
  OPERATIONS[operation]!(words).foreachRDD((rdd, t) => void windows.set(t, asSet(rdd.collect())));
  if (v2) words.count().foreachRDD(() => undefined);
  return { ssc, clock, windows };
}

async function runTo(j: Job, until: number): Promise<void> {
  await j.ssc.start();
  await j.clock.advance(until);
  await j.ssc.stop();
}

describe('named windowed operations resume into a changed graph', () => {
  for (const operation of Object.keys(OPERATIONS)) {
    it(`${operation}: keeps its window contents across a restart with one more output`, async () => {
      const reference = job(tempDir(), operation, false);
      await runTo(reference, 7000);
      const dir = tempDir();
      await runTo(job(dir, operation, false), 3000);
      const log: string[] = [];
      let resumed: Job | undefined;
      const ssc = await StreamingContext.getOrCreate(dir, () => (resumed = job(dir, operation, true)).ssc, { log: (l) => void log.push(l) });
      expect(ssc.recoveredFrom).toBe(3000);
      await runTo(resumed!, 7000);
      const after = [...reference.windows.keys()].filter((t) => t > 3000);
      expect(after.length).toBeGreaterThan(0);
      for (const t of after) expect(resumed!.windows.get(t), `window at ${t}`).toEqual(reference.windows.get(t));
      expect(log.filter((l) => !l.includes('queueStream'))).toEqual([]);
    });
  }
});

describe('the last argument of the windowed pair operations: numPartitions or options', () => {
  const input = [[['a', 1], ['b', 2]], [['a', 3]], [['b', 4]]] as [string, number][][];

  it('takes a number (Spark) or { numPartitions } alike', async () => {
    const byNumber = await runStream(input, (s) => s.groupByKeyAndWindow(2000, 1000, 3).glom(), 3);
    const byOptions = await runStream(input, (s) => s.groupByKeyAndWindow(2000, 1000, { numPartitions: 3 }).glom(), 3);
    expect(byOptions.outputs).toEqual(byNumber.outputs);
    expect(byNumber.outputs[0]).toHaveLength(3);
    const counted = await runStream(input, (s) => s.reduceByKeyAndWindow(add, 2000, 1000, { numPartitions: 1 }).glom(), 3);
    expect(counted.outputs.map((parts) => parts.length)).toEqual([1, 1, 1]);
  });

  it('refuses unknown options, a bad name or count, naming the operation', async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const pairs = ssc.queueStream<[string, number]>([]);
    expect(() => pairs.groupByKeyAndWindow(2000, 1000, { numPartition: 2 } as never)).toThrow(
      "groupByKeyAndWindow: unknown option 'numPartition'; the options are numPartitions, name",
    );
    expect(() => pairs.countByValueAndWindow(2000, 1000, { name: '' })).toThrow(/countByValueAndWindow: name must be a non-empty string/);
    expect(() => pairs.reduceByKeyAndWindow(add, 2000, 1000, { numPartitions: 0 })).toThrow(/reduceByKeyAndWindow: numPartitions must be a positive integer, got 0/);
    expect(() => pairs.groupByKeyAndWindow(2000, 1000, '2' as never)).toThrow(/numPartitions must be a positive integer, got the string '2'/);
    expect(() => pairs.window(2000, 1000, { nmae: 'w' } as never)).toThrow("window: unknown option 'nmae'; the options are name");
    expect(() => pairs.reduceByWindow(((a: [string, number]) => a) as never, null, 2000, 1000, { nam: 'w' } as never)).toThrow(
      "reduceByWindow: unknown option 'nam'; the options are name",
    );
    // The disk store keeps an inverse window's state per key: without an inverse there is none.
    expect(() => pairs.reduceByKeyAndWindow(add, null, 2000, 1000, { stateStore: 'disk' })).toThrow(
      /reduceByKeyAndWindow: stateStore 'disk' needs an inverse function/,
    );
    expect(() => pairs.reduceByKeyAndWindow(add, null, 2000, 1000, { stateStore: 'memory', name: 'w' })).not.toThrow();
  });

  it('two windows with the same name in one graph are refused at start', async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    ssc.checkpoint(tempDir());
    const pairs = ssc.queueStream<[string, number]>([]);
    pairs.groupByKeyAndWindow(2000, 1000, { name: 'w' }).foreachRDD(() => undefined);
    pairs.countByValueAndWindow(2000, 1000, { name: 'w' }).foreachRDD(() => undefined);
    await expect(ssc.start()).rejects.toThrow(/two stateful operations are named "w"/);
    await ssc.stop();
  });
});
