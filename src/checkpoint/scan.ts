/**
 * The store's one read loop: a LevelDB iterator (entries or keys) read in batches of `size`,
 * each batch handed on as it arrives, LevelDB's errors turned into CheckpointErrors naming the
 * directory, and the iterator closed however the loop ends (done, break, throw).
 */
import { mapReadError } from '../util/checkpointErrors.js';

export interface RangeIterator<E> {
  nextv(size: number): Promise<E[]>;
  close(): Promise<void>;
}

export async function* scan<E>(it: RangeIterator<E>, dir: string, size = 1000, what = 'read'): AsyncGenerator<E[]> {
  try {
    for (;;) {
      let entries: E[];
      try {
        entries = await it.nextv(size);
      } catch (err) {
        throw mapReadError(dir, err, what);
      }
      if (entries.length === 0) return;
      yield entries;
    }
  } finally {
    await it.close();
  }
}
