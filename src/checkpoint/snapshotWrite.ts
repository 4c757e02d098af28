/**
 * Writing a stream's snapshot (a snapshot merge's result, SnapshotMerges): the stream's whole
 * state as of one batch, in 'S' chunks, replacing in ONE atomic LevelDB write the snapshot before
 * it, the stream's keyed entries and its delta entries up to the snapshot's time.
 *
 * When things happen: a snapshot read from memory is encoded chunk by chunk, one chunk a turn of
 * the event loop, so batches run in between (encodeSnapshot); one merged from the stored log
 * arrives encoded from the merge thread. The write itself runs in the store's queue, after every
 * commit queued before it (CheckpointStore.writeSnapshotChunks). Delta entries written after the
 * snapshot's time stay; a snapshot as of the same time or later, written meanwhile (a full copy),
 * wins, and nothing is written.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { SnapshotChunk } from '../dstream/Checkpointable.js';
import { encodeSnapshotChunk } from './bulk.js';
import { encodeValue } from './codec.js';
import { deleteRewrittenRanges, type Rewrites } from './commit.js';
import { fail, innermostMessage, mapReadError } from '../util/checkpointErrors.js';
import { DELTA_NS, FORMAT_KEY, padChunk, padTime, prefixEnd, SEQ_KEY, SNAP_NS, STATE_NS } from './layout.js';
import type { Db } from './open.js';

/** `entries` encoded as snapshot chunks, one a turn of the event loop (`entries` must not change meanwhile). */
export async function encodeSnapshot(dir: string, streamId: string, entries: Iterable<SnapshotChunk>, assertOpen: () => void): Promise<string[]> {
  const chunks: string[] = [];
  for (const { keys, values } of entries) {
    if (keys.length === 0) continue;
    try {
      chunks.push(encodeSnapshotChunk(keys, values));
    } catch (err) {
      throw fail('UNSERIALIZABLE', dir, `cannot checkpoint the state of stream ${streamId} to ${dir}: ${innermostMessage(err)}; nothing was written`, err);
    }
    await yieldToEventLoop();
    assertOpen();
  }
  if (chunks.length === 0) chunks.push(encodeSnapshotChunk([], []));
  return chunks;
}

/**
 * Writes encoded `chunks` as the stream's snapshot as of `time`, with the commit count `seq + 1`
 * (and `upgradeMarker`, an older format's store upgraded by this first write, when given).
 * False, writing nothing, when the stream has a snapshot as of `time` or later.
 */
export async function writeSnapshotBatch(
  db: Db,
  dir: string,
  streamId: string,
  time: number,
  chunks: readonly string[],
  seq: number,
  upgradeMarker?: string,
): Promise<boolean> {
  const prefix = `${SNAP_NS}/${streamId}/`;
  const gen = `${prefix}${padTime(time)}/`;
  const newer = await db.keys({ gte: gen, lt: prefixEnd(prefix), limit: 1 }).all();
  if (newer.length > 0) return false;
  const batch = db.batch();
  try {
    const rewrites: Rewrites = new Map([
      [prefix, { keep: undefined }],
      [`${STATE_NS}/${streamId}/`, { keep: undefined }],
      [`${DELTA_NS}/${streamId}/`, { keep: undefined, lt: `${DELTA_NS}/${streamId}/${padTime(time + 1)}` }],
    ]);
    await deleteRewrittenRanges(db, dir, rewrites, batch);
    chunks.forEach((v, i) => batch.put(gen + padChunk(i), v));
    batch.put(SEQ_KEY, encodeValue(seq + 1));
    if (upgradeMarker !== undefined) batch.put(FORMAT_KEY, upgradeMarker);
    // Never fsynced by itself (~80 ms of the queue at 1 M keys): the next commit's synced write
    // makes it durable, and should a crash lose it, what it merged is still in the log it deleted.
    await batch.write({ sync: false } as object);
  } catch (err) {
    await batch.close().catch(() => {});
    throw mapReadError(dir, err, 'commit');
  }
  return true;
}
