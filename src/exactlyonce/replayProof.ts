/**
 * Whether a checkpoint *behind* the sink re-runs exactly what the sink committed — and, when it
 * cannot, which streams lose what they held. Apart from the restart decision (exactlyOnce.ts)
 * because what counts as proof follows the direct stream's checkpoint record, not the decision.
 *
 * Why a proof exists: a direct stream records each batch's offset ranges as soon as they are
 * decided (Checkpointer.commitGenerated, awaited before the batch's outputs run; kafkaCheckpoint.ts),
 * and a recovered stream generates those batches again with exactly those ranges. So a checkpoint
 * whose last completed batch is before the sink's last commit, but whose pending batches reach
 * that commit — every batch in between, each range starting where the previous one ended, the
 * committed batch ending at the offsets the sink stored — re-runs the same records into the same
 * state; the sink skips the batches it committed (their claims, with identical ranges).
 *
 * What it cannot prove (then the checkpoint is set aside): an input other than a direct Kafka
 * stream; a scaled-out job (positions come from the group, not the checkpoint); a pending batch
 * missing or not contiguous; ranges that end elsewhere than the sink's offsets (a sink written by
 * another job or from another stream, offsets never stored, a checkpoint from an older run).
 */
import { describeStream } from '../checkpoint/plan.js';
import type { StreamingContext } from '../context/StreamingContext.js';
import { DirectKafkaInputDStream } from '../direct/DirectKafkaInputDStream.js';
import { restoredPosition } from '../direct/kafkaCheckpoint.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import { tpKey } from '../kafka/params.js';
import { StatefulDStream } from '../state/StatefulDStream.js';
import { SlidingDStream } from '../window/SlidingDStream.js';

export type ReplayProof =
  /** The checkpoint re-runs `batches` (up to the sink's last commit) with the ranges they had. */
  | { exact: true; batches: number[] }
  | { exact: false; reason: string };

/**
 * Whether `ssc`, recovered at `recoveredFrom`, re-runs the batches up to `lastCommitted` exactly
 * as they ran when the sink committed them (`stored`: the sink's offsets for `topics`).
 */
export function proveReplay(
  ssc: StreamingContext,
  recoveredFrom: number,
  lastCommitted: number,
  topics: readonly string[],
  stored: Readonly<Record<string, number>>,
): ReplayProof {
  const no = (reason: string): ReplayProof => ({ exact: false, reason });
  if (ssc.applicationId !== undefined) return no('the job is scaled out: its positions come from the group, not the checkpoint');
  const step = ssc.batchDuration;
  if (!(lastCommitted > recoveredFrom) || (lastCommitted - recoveredFrom) % step !== 0) {
    return no(`the sink's last batch ${lastCommitted} is not a batch after the checkpoint's ${recoveredFrom} on its ${step} ms grid`);
  }
  const batches: number[] = [];
  for (let t = recoveredFrom + step; t <= lastCommitted; t += step) batches.push(t);
  const inputs = ssc.graph.inputs;
  if (inputs.length === 0) return no('the job has no input');
  // The committed batch's ranges of the sink's topics, from every direct stream that reads them.
  const committed = new Map<string, OffsetRange>();
  for (const input of inputs) {
    if (!(input instanceof DirectKafkaInputDStream)) {
      return no(`input ${describeStream(input)} is not a direct Kafka stream: the checkpoint does not record its batches' data`);
    }
    const record = restoredPosition(ssc.resumeMetaOf(input), input.topics);
    if (record === undefined) return no(`the checkpoint holds no position for ${describeStream(input)}`);
    const pending = new Map(record.pending);
    const at = new Map<string, number>(Object.entries(record.position));
    for (const t of batches) {
      const ranges = pending.get(t);
      if (ranges === undefined) return no(`the checkpoint does not hold the offset ranges of batch ${t} of ${describeStream(input)}`);
      // As a recovered stream does (placeRestored), ranges of topics it no longer reads are dropped.
      for (const r of ranges.filter((x) => input.topics.includes(x.topic))) {
        const k = tpKey(r.topic, r.partition);
        const from = at.get(k);
        if (from !== undefined && from !== r.fromOffset) {
          return no(`batch ${t} of ${describeStream(input)} reads ${k} from ${r.fromOffset}, not from ${from} where the batch before it ended`);
        }
        at.set(k, r.untilOffset);
        if (t === lastCommitted && topics.includes(r.topic)) committed.set(k, r);
      }
    }
  }
  if (committed.size === 0) return no(`no direct stream of the job reads topics ${topics.join(', ')}`);
  for (const [k, r] of committed) {
    const s = stored[k];
    // A partition the batch read nothing of may have no stored offset (the writer left empty ranges out).
    if (s === r.untilOffset || (s === undefined && r.fromOffset === r.untilOffset)) continue;
    return no(`batch ${lastCommitted} in the checkpoint reads ${k} up to ${r.untilOffset}, the sink stored ${s ?? 'no offset'}`);
  }
  for (const k of Object.keys(stored)) {
    if (!committed.has(k)) return no(`the sink stored an offset for ${k}, which batch ${lastCommitted} in the checkpoint does not read`);
  }
  return { exact: true, batches };
}

/**
 * The streams of `ssc` whose contents a checkpoint holds and a result table cannot give back:
 * windows (they restart empty) and state streams (they restart from what `create` seeds them
 * with when `fromCheckpoint` is false), each by its describing line.
 */
export function streamsNotRebuilt(ssc: StreamingContext): { windows: string[]; states: string[] } {
  const windows: string[] = [];
  const states: string[] = [];
  for (const s of ssc.graph.streams) {
    if (s instanceof SlidingDStream) windows.push(describeStream(s));
    else if (s instanceof StatefulDStream) states.push(describeStream(s));
  }
  return { windows, states };
}
