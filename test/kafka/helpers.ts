// Helpers of the KafkaUtils tests (direct stream, createRDD, receiver stream, sink).
import type { ManualClock, StreamingContext } from '../../src/index.js';

export { countWords, shakespeareLines, SHAKESPEARE, words } from '../helpers/corpus.js';

/**
 * Advances the ManualClock one batch at a time until `done()` holds (checked after each batch),
 * at most `maxBatches` batches; returns the number of batches run. Throws when `done()` never held.
 */
export async function advanceUntil(
  clock: ManualClock,
  ssc: StreamingContext,
  done: () => boolean,
  maxBatches = 100,
): Promise<number> {
  for (let i = 1; i <= maxBatches; i++) {
    await clock.advance(ssc.batchDuration);
    if (done()) return i;
  }
  throw new Error(`condition not reached after ${maxBatches} batches`);
}

export function sum(xs: Iterable<number>): number {
  let n = 0;
  for (const x of xs) n += x;
  return n;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
