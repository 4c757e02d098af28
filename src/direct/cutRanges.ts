import type { OffsetRange } from '../kafka/OffsetRange.js';
import { FatalKafkaError } from '../kafka/retry.js';

/** A partition a direct stream reads, with its `"topic:partition"` key. */
export interface PartitionKey {
  topic: string;
  partition: number;
  key: string;
}

/**
 * The next batch's offset ranges: each partition from where the previous batch stopped
 * (`nextFrom`) to its latest offset (`high`), at most `limits` records (undefined: no limit);
 * and the backlog left behind them (records past the ranges up to the latest offsets).
 * `high` is the last stable offset (PartitionBounds): a position above it but not past the log
 * end (a transaction open, a position taken by a read_uncommitted reader) gets an empty range;
 * a position past the log end must have failed `checkPositions` before.
 */
export function cutRanges(
  keys: readonly PartitionKey[],
  nextFrom: ReadonlyMap<string, number>,
  high: ReadonlyMap<string, number>,
  limits: ReadonlyMap<string, number> | undefined,
): { ranges: OffsetRange[]; backlog: number } {
  let backlog = 0;
  const ranges = keys.map((tp): OffsetRange => {
    const from = nextFrom.get(tp.key)!;
    const end = Math.max(from, high.get(tp.key) ?? from);
    const limit = limits?.get(tp.key);
    const until = limit === undefined ? end : Math.min(end, from + limit);
    backlog += end - until;
    return { topic: tp.topic, partition: tp.partition, fromOffset: from, untilOffset: until };
  });
  return { ranges, backlog };
}

/** A position past its partition's log end (Spark's KafkaRDD: "Beginning offset X is after the ending offset Y"). */
export class PositionAfterLogEndError extends FatalKafkaError {
  constructor(
    message: string,
    readonly partitions: ReadonlyArray<{ topic: string; partition: number; position: number; logEnd: number }>,
  ) {
    super(message);
    this.name = 'PositionAfterLogEndError';
  }
}

/**
 * Fails when a partition's next offset (`nextFrom`) is past its log end (`logEnd`, the high
 * watermark; partitions it lacks are not checked). Kafka's offsets only grow, so the partition's
 * log is not the one the position was taken in: the topic was deleted and recreated, or the
 * broker's data was lost, under a kept position (or fromOffsets named an offset never written).
 * Cutting an empty range there and waiting would read the new log from the old position once it
 * grew past it, silently skipping the records below. A position equal to the log end is normal.
 */
export function checkPositions(
  keys: readonly PartitionKey[],
  nextFrom: ReadonlyMap<string, number>,
  logEnd: ReadonlyMap<string, number>,
): void {
  const bad: Array<{ topic: string; partition: number; position: number; logEnd: number }> = [];
  for (const tp of keys) {
    const position = nextFrom.get(tp.key);
    const end = logEnd.get(tp.key);
    if (position !== undefined && end !== undefined && position > end) bad.push({ topic: tp.topic, partition: tp.partition, position, logEnd: end });
  }
  if (bad.length === 0) return;
  const each = bad.map((b) => `Beginning offset ${b.position} is after the ending offset ${b.logEnd} for topic ${b.topic} partition ${b.partition}`);
  throw new PositionAfterLogEndError(
    `${each.join('; ')}: the stream's position is past the partition's log end. You either provided an invalid fromOffset, ` +
      'or the Kafka topic has been damaged (deleted and recreated, or its data lost) since the position was taken; ' +
      'going on would skip the records the partition gets below the old position. Start the stream anew ' +
      '(without this checkpoint, or with fromOffsets) to read the partition from where it should.',
    bad,
  );
}
