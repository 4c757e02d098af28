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
 * Where a partition's next offset came from, for the error that finds it past the log end:
 * `fromOffsets`; the offset the consumer group committed (`group`: at start, or a scaled-out
 * stream's gained partition); the checkpoint; the stream's own reading (`stream`, which includes
 * an auto.offset.reset position and a partition added to a topic).
 */
export type PositionOrigin = 'fromOffsets' | 'group' | 'checkpoint' | 'stream';

/**
 * Fails when a partition's next offset (`nextFrom`) is past its log end (`logEnd`, the high
 * watermark; partitions it lacks are not checked). Kafka's offsets only grow, so the partition's
 * log is not the one the position was taken in: the topic was deleted and recreated, or the
 * broker's data was lost, under a kept position (or fromOffsets named an offset never written).
 * Cutting an empty range there and waiting would read the new log from the old position once it
 * grew past it, silently skipping the records below. A position equal to the log end is normal.
 * The error says where each position came from (`originOf`; `groupId` names the group) and what
 * to do about it.
 */
export function checkPositions(
  keys: readonly PartitionKey[],
  nextFrom: ReadonlyMap<string, number>,
  logEnd: ReadonlyMap<string, number>,
  originOf: (key: string) => PositionOrigin = () => 'stream',
  groupId?: string,
): void {
  const bad: Array<{ topic: string; partition: number; position: number; logEnd: number }> = [];
  const origins = new Set<PositionOrigin>();
  const each: string[] = [];
  const group = groupId !== undefined ? `consumer group "${groupId}"` : 'the consumer group';
  const source: Record<PositionOrigin, string> = {
    fromOffsets: 'given by fromOffsets',
    group: `the offset ${group} committed`,
    checkpoint: 'the checkpoint\'s position',
    stream: 'the stream\'s position',
  };
  for (const tp of keys) {
    const position = nextFrom.get(tp.key);
    const end = logEnd.get(tp.key);
    if (position === undefined || end === undefined || position <= end) continue;
    bad.push({ topic: tp.topic, partition: tp.partition, position, logEnd: end });
    const origin = originOf(tp.key);
    origins.add(origin);
    each.push(`Beginning offset ${position} is after the ending offset ${end} for topic ${tp.topic} partition ${tp.partition} (${source[origin]})`);
  }
  if (bad.length === 0) return;
  const advice: string[] = [];
  if (origins.has('fromOffsets')) {
    advice.push('fromOffsets named an offset Kafka never reached (or the topic was recreated since): give fromOffsets within the partition\'s log.');
  }
  if (origins.has('group')) {
    advice.push(
      `The Kafka topic has been damaged (deleted and recreated, or its data lost) since ${group} committed that offset: ` +
        'reset the group\'s offsets (kafka-consumer-groups.sh --reset-offsets) or give fromOffsets to read the partition from where it should.',
    );
  }
  if (origins.has('checkpoint') || origins.has('stream')) {
    advice.push(
      'The Kafka topic has been damaged (deleted and recreated, or its data lost) since the position was taken; ' +
        'going on would skip the records the partition gets below the old position. Start the stream anew ' +
        '(without this checkpoint, or with fromOffsets) to read the partition from where it should.',
    );
  }
  throw new PositionAfterLogEndError(`${each.join('; ')}: the stream's position is past the partition's log end. ${advice.join(' ')}`, bad);
}
