// Batch-by-batch runs for the window tests, like Spark's TestSuiteBase: input i is the i-th element
// of a queueStream, the clock (a ManualClock at 0) advances one batch at a time, and the output
// stream's RDD is collected at every batch time where it has one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, StreamingContext, type DStream } from '../../src/index.js';

export interface RunOptions {
  batchDuration?: number;
  /** Give the context a (temporary) checkpoint directory. */
  checkpoint?: boolean;
  defaultParallelism?: number;
}

export interface Run<U> {
  times: number[];
  outputs: U[][];
}

export async function runStream<T, U>(
  input: T[][],
  operation: (s: DStream<T>, ssc: StreamingContext) => DStream<U>,
  numBatches: number,
  options: RunOptions = {},
): Promise<Run<U>> {
  const batchDuration = options.batchDuration ?? 1000;
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration, clock, defaultParallelism: options.defaultParallelism ?? 2 });
  const dir = options.checkpoint ? mkdtempSync(join(tmpdir(), 'dstreams-window-')) : undefined;
  if (dir) ssc.checkpoint(dir);
  const run: Run<U> = { times: [], outputs: [] };
  operation(ssc.queueStream(input.map((b) => b.slice())), ssc).foreachRDD((rdd, time) => {
    run.times.push(time);
    run.outputs.push(rdd.collect());
  });
  await ssc.start();
  try {
    for (let i = 0; i < numBatches; i++) await clock.advance(batchDuration);
  } finally {
    await ssc.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  return run;
}

/** Order-insensitive form of a batch (Spark's `useSet`): each element as JSON, sorted. */
export function asSet(batch: readonly unknown[]): string[] {
  return batch.map((e) => JSON.stringify(e)).sort();
}

export const asSets = (batches: readonly (readonly unknown[])[]): string[][] => batches.map(asSet);
