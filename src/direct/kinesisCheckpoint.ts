/**
 * The direct Kinesis stream's checkpoint: the record it writes into each commit (its `meta`) —
 * where each shard's reading goes on, which shards are read to their end, the ranges of the
 * batches decided but not completed — and, on recovery, those ranges read back exactly. Apart
 * from the stream because the record (a field more, a v2) and what a recovery accepts change
 * for reasons of their own, not the reading protocol's.
 *
 * When things happen:
 *  - batch generated: the record is built as soon as the batch's ranges are decided
 *    (generatedPosition), that batch pending, so a crash while it runs re-reads its ranges;
 *  - checkpoint after a completed batch: built again (checkpointDelta), every decided batch up to
 *    it folded into the position;
 *  - recovery, before any batch runs: a saved record is checked (one of another stream fails the
 *    recovery) and handed to the stream, which places its cursors after it;
 *  - a recovered batch starts running: its recorded ranges are read back, and must hold exactly
 *    the recorded records (else Kinesis trimmed them: the batch fails rather than read others).
 *
 * Versions: v1 listed every shard ever read to its end in `finished`, so the record grew with
 * every reshard. v2 (written from now on) keeps the same fields, but a finished shard whose
 * children are all tracked is left out of both `position` and `finished` (the stream forgets it,
 * DirectKinesisInputDStream): a listed shard that has no position and is not finished but has a
 * tracked descendant is finished (shards.ts forgottenAncestors). A v1 record reads as it is (its
 * finished shards are forgotten from the next checkpoint on); a dstreams that writes v1 must not
 * read a v2 record — it would read the forgotten shards again — and a record of a later version
 * is refused.
 */
import type { KinesisRecord, KinesisStreamClient } from '../kinesis/client.js';
import { ShardCursor } from '../kinesis/cursor.js';
import { KinesisStreamError } from '../kinesis/errors.js';
import type { SequenceNumberRange } from '../kinesis/KinesisRDD.js';
import { compareShardIds } from '../kinesis/shards.js';

/** What a direct Kinesis stream writes into each checkpoint commit (its `meta`). */
export interface DirectKinesisPosition {
  /** 2: finished shards with all children tracked are left out (see above); 1 is read too. */
  v: 2;
  stream: string;
  /** Shard → where reading goes on after the checkpointed batch (a sequence number: after it). */
  position: Record<string, string>;
  /** Shards read to their end by then, less those forgotten (v2). */
  finished: string[];
  /** Batches decided but not completed: their ranges, and the shards they read to the end. */
  pending: Array<[number, SequenceNumberRange[], string[]]>;
}

/** What the record needs of a batch: its ranges (undefined while being decided) and the shards it read to their end. */
export interface DecidedBatch {
  ranges: readonly SequenceNumberRange[] | undefined;
  ended: readonly string[];
}

/**
 * The record after batch `time`: the completed position moved past every decided batch up to
 * `time`, the later ones pending (copies, in time order). A finished shard has no position.
 */
export function positionAfter(
  streamName: string,
  time: number,
  completed: ReadonlyMap<string, string>,
  completedFinished: ReadonlySet<string>,
  batches: ReadonlyMap<number, DecidedBatch>,
): DirectKinesisPosition {
  const position = new Map(completed);
  const finished = new Set(completedFinished);
  const pending: DirectKinesisPosition['pending'] = [];
  for (const [t, e] of batches) {
    if (!e.ranges) continue;
    if (t <= time) {
      for (const r of e.ranges) if (r.recordCount > 0) position.set(r.shardId, r.toSeqNumber!);
      for (const s of e.ended) finished.add(s);
    } else {
      pending.push([t, e.ranges.map((r) => ({ ...r })), [...e.ended]]);
    }
  }
  pending.sort((a, b) => a[0] - b[0]);
  for (const s of finished) position.delete(s);
  return {
    v: 2,
    stream: streamName,
    position: Object.fromEntries(position),
    finished: [...finished].sort(compareShardIds),
    pending,
  };
}

/**
 * A saved `meta` as the record stream `streamName` restores: undefined when it holds no position
 * (nothing to restore); one of another stream throws, rather than read the wrong shards.
 */
export function restoredPosition(meta: unknown, streamName: string): DirectKinesisPosition | undefined {
  const m = meta as Partial<DirectKinesisPosition> | undefined;
  if (!m || typeof m.position !== 'object' || m.position === null) return undefined;
  if (m.stream !== undefined && m.stream !== streamName) {
    throw new KinesisStreamError(`the checkpoint holds the positions of Kinesis stream "${m.stream}", this job reads "${streamName}"`);
  }
  const v = (m as { v?: unknown }).v;
  if (typeof v === 'number' && v > 2) {
    throw new KinesisStreamError(`the checkpoint's record of Kinesis stream "${streamName}" is of version ${v}, written by a later dstreams; this one reads versions 1 and 2`);
  }
  return {
    v: 2,
    stream: streamName,
    position: m.position,
    finished: Array.isArray(m.finished) ? m.finished : [],
    pending: Array.isArray(m.pending) ? m.pending : [],
  };
}

/**
 * Exactly the records of a recorded range, read again (a recovered batch's). `where` names the
 * stream and endpoint in the error when the shard no longer holds them.
 */
export async function readRecordedRange(client: KinesisStreamClient, r: SequenceNumberRange, where: string): Promise<KinesisRecord[]> {
  if (r.recordCount === 0) return [];
  const cursor = new ShardCursor(client, r.shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: r.fromSeqNumber! });
  const out: KinesisRecord[] = [];
  let empty = 0;
  while (out.length < r.recordCount && !cursor.ended && empty < 20) {
    // At most as many Kinesis records as user records are missing (a KPL aggregate gives several).
    const recs = await cursor.read(r.recordCount - out.length);
    if (recs.length === 0) empty++;
    for (const x of recs) out.push(x);
    // The range ends with the (user records of the) Kinesis record at toSeqNumber.
    const end = out.findLastIndex((x) => x.sequenceNumber === r.toSeqNumber);
    if (end >= 0) {
      out.length = end + 1;
      break;
    }
  }
  const first = out[0]?.sequenceNumber;
  const last = out[out.length - 1]?.sequenceNumber;
  if (out.length !== r.recordCount || first !== r.fromSeqNumber || last !== r.toSeqNumber) {
    throw new KinesisStreamError(
      `${where}: shard ${r.shardId} no longer holds the ${r.recordCount} ` +
        `records [${r.fromSeqNumber}, ${r.toSeqNumber}] of a recovered batch (read ${out.length}, ${first ?? '-'} … ${last ?? '-'}): trimmed by the retention period?`,
    );
  }
  return out;
}
