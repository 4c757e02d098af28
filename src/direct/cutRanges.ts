import type { OffsetRange } from '../kafka/OffsetRange.js';

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
