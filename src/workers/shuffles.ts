/**
 * Which shuffles of a batch the worker pool runs, and putting their results together.
 *
 * A shuffle (combineByKey, reduceByKey, groupByKey: Spark's ShuffledDStream) runs in the pool
 * when its parent chain down to an input is element-wise operations only (map, flatMap, filter,
 * mapValues, flatMapValues — their result does not depend on how the input is split) and the
 * input's RDD of the batch holds lines as bytes (a LinesRDD). The batch's blocks of whole lines
 * are gathered into one slice per thread, in order; each thread combines its slice map-side; the
 * per-slice results are merged here with the shuffle's mergeCombiners, slice by slice, so each
 * output partition lists its keys in the order of their first appearance, as in one thread.
 *
 * When things happen: `runShuffles` is the pool's part of a batch, called after the batch's
 * RDDs are generated and before its output operations run (a BatchHooks.onBatchGenerated). It
 * never throws: a shuffle that failed in a thread keeps the error, and the output operation that
 * reads that shuffle throws it, exactly where the shuffle would have thrown in one thread.
 */
import { ShuffledDStream } from '../dstream/operators/combineByKey.js';
import { FilteredDStream } from '../dstream/operators/filter.js';
import { FlatMappedDStream } from '../dstream/operators/flatMap.js';
import { FlatMapValuedDStream } from '../dstream/operators/flatMapValues.js';
import { MappedDStream } from '../dstream/operators/map.js';
import { MapValuedDStream } from '../dstream/operators/mapValues.js';
import type { DStream } from '../dstream/DStream.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { InputDStream } from '../dstream/InputDStream.js';
import { LinesRDD } from '../rdd/LinesRDD.js';
import { PairTable } from '../rdd/PairTable.js';
import { provideCombined, type RDD } from '../rdd/RDD.js';
import type { WorkerPool } from './WorkerPool.js';

/** Slices smaller than this are not worth a thread of their own. */
const MIN_SLICE_BYTES = 64 * 1024;

const elementWise = (s: DStream<unknown>): boolean =>
  s instanceof MappedDStream ||
  s instanceof FlatMappedDStream ||
  s instanceof FilteredDStream ||
  s instanceof MapValuedDStream ||
  s instanceof FlatMapValuedDStream;

/** The input under a shuffle whose chain the pool can run, or undefined when it cannot. */
export function inputUnder(stream: DStream<unknown>): InputDStream<unknown> | undefined {
  if (!(stream instanceof ShuffledDStream)) return undefined;
  let s = stream.dependencies[0]!;
  while (elementWise(s)) s = s.dependencies[0]!;
  return s instanceof InputDStream ? s : undefined;
}

/** Run, in the pool, every shuffle of batch `time` that can run there (see the file's header). */
export async function runShuffles(pool: WorkerPool, graph: DStreamGraph, time: number): Promise<void> {
  const work: Promise<void>[] = [];
  for (const stream of graph.streams) {
    const input = inputUnder(stream);
    // A shuffle no output reaches was never started (nor is it computed): nothing to run. One
    // that is started may not have its RDD of the batch yet: a stateful stream or a window over
    // it computes it later, in the batch's materializeState, and reads this result then.
    if (!input || stream.zeroTime === undefined || !stream.isTimeValid(time)) continue;
    const lines = input.slice(time, time)[0];
    if (!(lines instanceof LinesRDD)) continue;
    const shuffle = stream as ShuffledDStream<unknown, unknown, unknown>;
    // The parent chain's RDD of the batch, remembered: the shuffle's own compute (now or later)
    // gets this same RDD, whose combined result the pool provides.
    const parent = shuffle.dependencies[0]!.getOrCompute(time);
    if (parent) work.push(runShuffle(pool, shuffle, parent, lines));
  }
  await Promise.all(work);
}

async function runShuffle(
  pool: WorkerPool,
  shuffle: ShuffledDStream<unknown, unknown, unknown>,
  parent: RDD<unknown>,
  lines: LinesRDD,
): Promise<void> {
  const { create, mergeValue, mergeCombiners, numPartitions } = shuffle;
  const key = { create, mergeValue, mergeCombiners, numPartitions };
  try {
    const slices = sliceLines(lines, pool.size, (size) => pool.buffer(size));
    const results = await Promise.all(slices.map((bytes) => pool.run({ shuffle: shuffle.id, bytes })));
    const table = new PairTable<unknown, unknown>(numPartitions);
    const same = (c: unknown): unknown => c;
    for (const parts of results) {
      for (const part of parts) for (const kc of part as [unknown, unknown][]) table.fold(kc[0], kc[1], same, mergeCombiners);
    }
    provideCombined(parent, { ...key, partitions: table.partitions() });
  } catch (error) {
    provideCombined(parent, { ...key, error });
  }
}

/**
 * The batch's line bytes in order, in at most `n` slices of similar size, each over a buffer of
 * its own from `buffer` (to be transferred). Every block ends with a newline, so slices end at
 * block boundaries.
 */
export function sliceLines(lines: LinesRDD, n: number, buffer: (size: number) => Uint8Array): Uint8Array[] {
  const blocks = lines.blocks.flat();
  let total = 0;
  for (const b of blocks) total += b.bytes.length;
  const count = Math.max(1, Math.min(n, Math.floor(total / MIN_SLICE_BYTES)));
  const slices: Uint8Array[] = [];
  let i = 0;
  let done = 0;
  for (let k = 1; k <= count && i < blocks.length; k++) {
    const goal = k === count ? total : Math.floor((total * k) / count);
    const from = i;
    let size = 0;
    while (i < blocks.length && (done + size < goal || i === from)) size += blocks[i++]!.bytes.length;
    const slice = buffer(size);
    let at = 0;
    for (let j = from; j < i; j++) {
      slice.set(blocks[j]!.bytes, at);
      at += blocks[j]!.bytes.length;
    }
    slices.push(slice);
    done += size;
  }
  return slices;
}
