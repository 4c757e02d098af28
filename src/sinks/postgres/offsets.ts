/**
 * The Kafka offsets a batch carries: checked on the way in (one range per topic-partition),
 * stored with the batch's claim in a canonical form, and compared with what the sink committed
 * (`offsetCheck`). Pure: the sink runs the queries and turns a returned message into its error.
 */
import type { OffsetCheck, SinkOffsetRange } from './options.js';

/**
 * The ranges to store, one per topic-partition (the furthest wins), or the first invalid
 * range as `invalid`.
 */
export function normalizeOffsets(ranges: readonly SinkOffsetRange[]): { ranges: SinkOffsetRange[]; invalid?: unknown } {
  const byTp = new Map<string, SinkOffsetRange>();
  for (const o of ranges) {
    if (
      !o ||
      typeof o.topic !== 'string' ||
      !Number.isInteger(o.partition) ||
      !Number.isSafeInteger(o.untilOffset) ||
      (o.fromOffset !== undefined && !(Number.isSafeInteger(o.fromOffset) && o.fromOffset <= o.untilOffset))
    ) {
      return { ranges: [], invalid: o };
    }
    const key = `${o.topic}:${o.partition}`;
    const prev = byTp.get(key);
    if (!prev || o.untilOffset > prev.untilOffset) byTp.set(key, o);
  }
  return { ranges: [...byTp.values()] };
}

/** A batch's offset ranges as stored with its claim: `[[topic, partition, from, until], …]` sorted. */
export function encodeOffsets(offsets: readonly SinkOffsetRange[]): string {
  const rows = offsets.map((o) => [o.topic, o.partition, o.fromOffset ?? null, o.untilOffset] as const);
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  return JSON.stringify(rows);
}

/**
 * Why the batch's ranges do not continue the stored ones (`stored`: "topic:partition" → until
 * offset), or undefined when they do. Partitions with nothing stored and ranges without
 * `fromOffset` pass.
 */
export function offsetGap(
  stored: ReadonlyMap<string, number>,
  offsets: readonly SinkOffsetRange[],
  check: OffsetCheck,
): string | undefined {
  for (const o of offsets) {
    const end = stored.get(`${o.topic}:${o.partition}`);
    if (end === undefined || o.fromOffset === undefined || o.fromOffset === end) continue;
    if (o.fromOffset < end) {
      return (
        `batch reads ${o.topic}:${o.partition} from offset ${o.fromOffset}, but this sink has committed it up to ` +
        `${end} (exclusive): offsets ${o.fromOffset}–${Math.min(end, o.untilOffset) - 1} would be written twice. ` +
        `Start the stream from storedOffsets()`
      );
    }
    if (check === 'contiguous') {
      return (
        `batch reads ${o.topic}:${o.partition} from offset ${o.fromOffset}, but this sink has committed it up to ` +
        `${end} (exclusive): offsets ${end}–${o.fromOffset - 1} would never be written. Start the stream from ` +
        `storedOffsets(), or, to accept the gap (e.g. records Kafka's retention deleted), use offsetCheck 'no-overlap'`
      );
    }
  }
  return undefined;
}

/** Why a claimed batch may not be skipped (its replay covers other offsets than the commit did), or undefined. */
export function replayMismatch(committed: string | null, replayed: string | null): string | undefined {
  if (committed === null || replayed === null || committed === replayed) return undefined;
  return (
    `batch was committed with offset ranges ${committed} but is replayed with ${replayed}: skipping it ` +
    `would lose the records the two do not share. The input did not replay the batch it committed ` +
    `(restart from storedOffsets() rather than from a checkpoint older than the sink)`
  );
}
