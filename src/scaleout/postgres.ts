/**
 * Writing a scaled-out job's keyed results to PostgreSQL exactly once across rebalances: each
 * batch is written as one transaction per task (input partition) the batch read, carrying that
 * partition's offset range and the batch's group generation (PostgresSink's generation fence,
 * sinks/postgres/fence.ts). A copy that lost the partition is refused once its new owner has
 * written it; the new owner, which resumed from the offsets Kafka committed with the state of
 * that point, may re-write the keys of a batch the old owner had written but not committed to
 * Kafka — with the same or later values, so the table ends up as if each record was counted
 * once. That needs update mode (rows upserted on the key); append mode is refused.
 *
 * When things happen: in the output operation of batch t, after the state of batch t is
 * computed and before batch t's Kafka transaction commits (transactions.ts). A refusal by a
 * generation newer than the copy's, when no rebalance is coming (the consumer group was deleted
 * or expired: its generations start over), fails the copy (assignment.ts `checkGroupReset`).
 */
import type { DStream } from '../dstream/DStream.js';
import { kafkaInputsOf } from './kafkaInputs.js';
import { partitionForKey } from '../kafka/partitioner.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import type { PostgresSink } from '../sinks/postgres/index.js';
import { FENCES_TABLE } from '../sinks/postgres/fence.js';
import { causeChain } from '../util/causeChain.js';
import type { FenceRefusal } from './assignment.js';
import { ScaleOut } from './ScaleOut.js';

/** True when `err` is the sink's refusal of an older generation's write. */
export function isFenced(err: unknown): boolean {
  return causeChain(err).some((e) => typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'FENCED');
}

/**
 * What a fence refusal of a write of `generation` says (fence.ts's words): the partition and the
 * generation that wrote it — else the task, and at least the next generation. With how to forget
 * the sink's generations: in the sink's bookkeeping schema (by default its table's).
 */
export function fenceRefusal(err: unknown, sink: { sinkId: string; tableName: string }, task: number, generation: number): FenceRefusal {
  let said: RegExpExecArray | null = null;
  for (const e of causeChain(err)) said ??= /(\S+) was written by generation (\d+), this write is of generation/.exec((e as Error)?.message ?? '');
  const schema = /^("(?:[^"]|"")*")\./.exec(sink.tableName)?.[1];
  return {
    output: `PostgresSink "${sink.sinkId}"`,
    partition: said?.[1] ?? `task ${task}`,
    by: said ? Number(said[2]) : generation + 1,
    forget:
      `forget the sink's generations — DELETE FROM ${schema ? `${schema}.` : ''}${FENCES_TABLE} WHERE sink_id = '${sink.sinkId.replaceAll("'", "''")}'` +
      " (the table in the sink's bookkeepingSchema instead, if it sets one)",
  };
}

/**
 * Writes every batch of `stream` (pairs keyed like the job's Kafka input, e.g. after
 * repartitionByKey and a state) to `sink`, one fenced transaction per task of the batch.
 */
export function writeFenced<K, V, Row>(stream: DStream<[K, V]>, sink: PostgresSink<Row>, toRow: (pair: [K, V], time: number) => Row): void {
  const scaleOut = ScaleOut.of(stream.graph);
  if (!scaleOut) throw new Error('writeFenced needs a scaled-out job: new StreamingContext({ …, applicationId })');
  if (sink.mode !== 'update') {
    throw new Error(`writeFenced needs a sink in update mode (a new owner may write a key again), "${sink.sinkId}" is in ${sink.mode} mode`);
  }
  const topics = kafkaInputsOf(stream as DStream<unknown>).flatMap((s) => s.topics);
  if (topics.length === 0) throw new Error('writeFenced: the stream is not computed from a direct Kafka stream');
  stream.foreachRDD(async (rdd, time) => {
    const ranges = scaleOut.rangesOf(time, topics);
    const n = scaleOut.partitionCount(topics[0]!);
    const generation = scaleOut.generationOf(time);
    const byTask = new Map<number, { ranges: OffsetRange[]; rows: Row[] }>();
    for (const r of ranges) {
      const t = byTask.get(r.partition) ?? { ranges: [], rows: [] };
      t.ranges.push(r);
      byTask.set(r.partition, t);
    }
    for (const pair of await rdd.collect()) {
      const task = partitionForKey(pair[0], n);
      const t = byTask.get(task);
      if (t) t.rows.push(toRow(pair, time));
      // A task this copy owns (or owned) that the batch does not read: a later batch of its owner writes it.
      else if (!scaleOut.mayHold(time, task)) {
        throw new Error(
          `writeFenced: key ${JSON.stringify(pair[0])?.slice(0, 80)} belongs to partition ${task} of ${topics[0]}, which batch ${time} does not read ` +
            'and this copy does not own: the stream written must be keyed like its input (Kafka\'s default partitioner over its partitions, ' +
            'e.g. after repartitionByKey and a state), or its rows would be lost',
        );
      }
    }
    await Promise.all(
      [...byTask].map(async ([task, { ranges: rs, rows }]) => {
        if (rows.length === 0 && rs.every((r) => r.untilOffset === r.fromOffset)) return;
        try {
          await sink.writeBatch({ batchTime: time, offsetRanges: rs, generation }, rows);
        } catch (e) {
          if (!isFenced(e)) throw e;
          scaleOut.fenced(task, time, (e as Error).message, fenceRefusal(e, sink, task, generation));
        }
      }),
    );
  });
}
