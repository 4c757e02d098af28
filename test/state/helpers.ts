// Helpers of the state tests: a context on a ManualClock, collectors, batch-by-batch runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { expect } from 'vitest';
import type { SavedStreamCheckpoint, StreamCheckpoint } from '../../src/dstream/Checkpointable.js';
import { encodeStructuredKey } from '../../src/rdd/keys.js';
import { ManualClock, StreamingContext, type DStream } from '../../src/index.js';

export interface TestContext {
  ssc: StreamingContext;
  clock: ManualClock;
  batchDuration: number;
  /** Runs `n` more batches, one at a time. */
  run(n: number): Promise<void>;
  /** Stops the context and removes its checkpoint directory. */
  close(): Promise<void>;
}

export function testContext(
  options: { batchDuration?: number; startTime?: number; defaultParallelism?: number; checkpoint?: boolean } = {},
): TestContext {
  const batchDuration = options.batchDuration ?? 1000;
  const clock = new ManualClock(options.startTime ?? 0);
  const ssc = new StreamingContext({ batchDuration, clock, defaultParallelism: options.defaultParallelism ?? 2 });
  let dir: string | undefined;
  if (options.checkpoint ?? true) {
    dir = mkdtempSync(join(tmpdir(), 'dstreams-state-'));
    ssc.checkpoint(dir);
  }
  return {
    ssc,
    clock,
    batchDuration,
    async run(n) {
      for (let i = 0; i < n; i++) await clock.advance(batchDuration);
    },
    async close() {
      await ssc.stop();
      await ssc.awaitTermination().catch(() => undefined);
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs batches of a context's graph by hand, the way the scheduler does (inputs and jobs, then
 * the state streams, the jobs, `after(time)`, clearMetadata) but without starting the context:
 * nothing else (no checkpoint machinery) takes part, so a test can call checkpointDelta itself.
 */
export function manualDriver(
  ssc: StreamingContext,
  zeroTime = 0,
  after: (time: number) => void = () => undefined,
  firstTime = zeroTime + ssc.batchDuration,
): { run(n: number): Promise<void> } {
  const graph = ssc.graph;
  graph.start(zeroTime);
  let next = firstTime;
  return {
    async run(n) {
      for (let i = 0; i < n; i++, next += graph.batchDuration) {
        graph.computeInputs(next);
        const jobs = graph.generateJobs(next);
        graph.materializeState(next);
        for (const job of jobs) await job.run();
        after(next);
        graph.clearMetadata(next);
      }
    },
  };
}

export interface Collected<T> {
  outputs: T[][];
  times: number[];
}

/** Collects every RDD of `stream` (an output operation). */
export function collect<T>(stream: DStream<T>): Collected<T> {
  const c: Collected<T> = { outputs: [], times: [] };
  stream.foreachRDD((rdd, time) => {
    c.outputs.push(rdd.collect());
    c.times.push(time);
  });
  return c;
}

const order = (a: unknown, b: unknown): number => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Each batch compared as a multiset (Spark's suites compare `toSet`/sorted). */
export function expectBatchSets<T>(actual: T[][], expected: T[][]): void {
  expect(actual.map((b) => [...b].sort(order))).toEqual(expected.map((b) => [...b].sort(order)));
}

/** A fresh copy of input batches (queueStream consumes its queue). */
export function copyInput<T>(input: T[][]): T[][] {
  return input.map((b) => b.slice());
}

/**
 * A checkpoint store stand-in: applies deltas the way the CheckpointStore does (replace, then
 * deletes, then puts) and keeps values serialised, so nothing is shared with the live state.
 */
export class FakeStateStore {
  private readonly entries = new Map<string, [unknown, Buffer]>();
  commits = 0;
  fullCommits = 0;
  lastPuts = 0;
  lastDeletes = 0;

  apply(delta: StreamCheckpoint | undefined): void {
    if (!delta?.state) return;
    const { replace, puts, deletes, flat = [] } = delta.state;
    this.commits++;
    if (replace) {
      this.fullCommits++;
      this.entries.clear();
    }
    for (const k of deletes) this.entries.delete(code(k));
    for (const [k, v] of puts) this.entries.set(code(k), [k, v8.serialize(v)]);
    for (let i = 0; i < flat.length; i += 2) this.entries.set(code(flat[i]), [flat[i], v8.serialize(flat[i + 1])]);
    this.lastPuts = puts.length + flat.length / 2;
    this.lastDeletes = deletes.length;
  }

  get size(): number {
    return this.entries.size;
  }

  saved(time: number): SavedStreamCheckpoint {
    const state: [unknown, unknown][] = [...this.entries.values()].map(([k, v]) => [k, v8.deserialize(v)]);
    return { time, state, slices: [], meta: undefined };
  }
}

function code(k: unknown): string {
  return typeof k === 'object' && k !== null ? 'o' + encodeStructuredKey(k) : typeof k + ':' + String(k);
}
