// Batch-by-batch test runs, like Spark Streaming's TestSuiteBase.
//
//   const out = await runBatches([[1, 2], [3]], (s) => s.map((x) => x * 2));
//   expectBatches(out, [[2, 4], [6]]);
//
//   const joined = await runBatches2(in1, in2, (a, b) => a.join(b), 4);
//   expectBatches(joined, expected, { useSet: true }); // shuffles: compare each batch as a multiset
//
// Each run uses its own StreamingContext with a ManualClock at 0 and batchDuration 1000 (unless
// options say otherwise); input i is the i-th element of a queueStream (cut into
// `defaultParallelism` partitions, 2 by default), and batches run one at a time by advancing the
// clock by one batch duration. The output stream's RDD of every batch where it has one is
// collected with foreachRDD: batch times without an RDD (a window's off-slide times) add no entry.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ManualClock, StreamingContext, type DStream } from '../../src/index.js';

export interface BatchRunOptions {
  /** Batch duration in ms (default 1000). */
  batchDuration?: number;
  /** Partitions of each input batch (default 2, Spark's test default). */
  defaultParallelism?: number;
  /** Where the ManualClock starts (default 0: the first batch is at one batch duration). */
  startTime?: number;
  /** A checkpoint directory; `true` makes a temporary one, removed after the run. */
  checkpoint?: string | boolean;
  /** Called with the context after the streams are defined and before start (remember, listeners …). */
  configure?: (ssc: StreamingContext) => void;
}

export interface BatchRun<U> {
  /** Each output RDD's elements, in collect() order, one entry per batch the stream produced an RDD. */
  outputs: U[][];
  /** The same batches partition by partition. */
  partitions: U[][][];
  /** The batch time of each entry of `outputs`. */
  times: number[];
  /** The (stopped) context, e.g. to look at the graph afterwards. */
  ssc: StreamingContext;
}

/**
 * Define streams on a fresh context with `setup`, run `numBatches` batches, collect the stream it
 * returns. If a batch fails, the context is stopped and the batch's error is thrown.
 */
export async function runStreams<U>(
  setup: (ssc: StreamingContext) => DStream<U>,
  numBatches: number,
  options: BatchRunOptions = {},
): Promise<BatchRun<U>> {
  const batchDuration = options.batchDuration ?? 1000;
  const clock = new ManualClock(options.startTime ?? 0);
  const ssc = new StreamingContext({
    batchDuration,
    clock,
    defaultParallelism: options.defaultParallelism ?? 2,
  });
  let tempDir: string | undefined;
  if (options.checkpoint === true) tempDir = mkdtempSync(join(tmpdir(), 'dstreams-batches-'));
  const checkpointDir = typeof options.checkpoint === 'string' ? options.checkpoint : tempDir;
  if (checkpointDir !== undefined) ssc.checkpoint(checkpointDir);

  const run: BatchRun<U> = { outputs: [], partitions: [], times: [], ssc };
  const stream = setup(ssc);
  stream.foreachRDD((rdd, time) => {
    const parts: U[][] = [];
    for (let i = 0; i < rdd.getNumPartitions(); i++) parts.push(rdd.partition(i));
    run.partitions.push(parts);
    run.outputs.push(parts.flat());
    run.times.push(time);
  });
  options.configure?.(ssc);
  try {
    await ssc.start();
    for (let i = 0; i < numBatches; i++) await clock.advance(batchDuration);
  } finally {
    await ssc.stop();
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  }
  return run;
}

/** One input stream: `input[i]` is batch i's data. Returns each batch's output. */
export async function runBatches<T, U>(
  input: readonly (readonly T[])[],
  operation: (stream: DStream<T>) => DStream<U>,
  numBatches: number = input.length,
  options: BatchRunOptions = {},
): Promise<U[][]> {
  const run = await runStreams((ssc) => operation(ssc.queueStream<T>(input.map((b) => [...b]))), numBatches, options);
  return run.outputs;
}

/** Two input streams, batch i of each from `input1[i]` and `input2[i]`. */
export async function runBatches2<T1, T2, U>(
  input1: readonly (readonly T1[])[],
  input2: readonly (readonly T2[])[],
  operation: (s1: DStream<T1>, s2: DStream<T2>) => DStream<U>,
  numBatches: number = Math.max(input1.length, input2.length),
  options: BatchRunOptions = {},
): Promise<U[][]> {
  const run = await runStreams(
    (ssc) =>
      operation(ssc.queueStream<T1>(input1.map((b) => [...b])), ssc.queueStream<T2>(input2.map((b) => [...b]))),
    numBatches,
    options,
  );
  return run.outputs;
}

/** Like {@link runBatches} but returns each batch partition by partition. */
export async function runBatchesWithPartitions<T, U>(
  input: readonly (readonly T[])[],
  operation: (stream: DStream<T>) => DStream<U>,
  numBatches: number = input.length,
  options: BatchRunOptions = {},
): Promise<U[][][]> {
  const run = await runStreams((ssc) => operation(ssc.queueStream<T>(input.map((b) => [...b]))), numBatches, options);
  return run.partitions;
}

/** A canonical text of a value, for sorting multisets: object keys sorted, undefined kept apart from null. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x === undefined) return '\u0000undefined';
    if (typeof x === 'bigint') return `\u0000bigint:${x}`;
    if (typeof x === 'number' && !Number.isFinite(x)) return `\u0000number:${x}`;
    if (x instanceof Map) return { '\u0000map': [...x].map(([k, y]) => [canonical(k), canonical(y)]).sort() };
    if (x instanceof Set) return { '\u0000set': [...x].map((y) => canonical(y)).sort() };
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) sorted[k] = (x as Record<string, unknown>)[k];
      return sorted;
    }
    return x;
  });
}

function sortedBatch<U>(batch: readonly U[]): U[] {
  return [...batch]
    .map((e) => [canonical(e), e] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((x) => x[1]);
}

/**
 * Compare per-batch outputs: the same number of batches, and each batch equal in order or, with
 * `useSet`, as a multiset (the same elements as often, in any order — for shuffles, as Spark's
 * `useSet`). Elements compare deeply; `undefined` and `null` differ.
 */
export function expectBatches<U>(
  actual: readonly (readonly U[])[],
  expected: readonly (readonly U[])[],
  options: { useSet?: boolean } = {},
): void {
  expect(actual.length, `number of batches (actual ${JSON.stringify(actual)})`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = options.useSet ? sortedBatch(actual[i]!) : actual[i];
    const e = options.useSet ? sortedBatch(expected[i]!) : expected[i];
    expect(a, `batch ${i}`).toStrictEqual(e);
  }
}
