/**
 * Fencing by generation, for the copies of a scaled-out job that take partitions from one
 * another (a batch's `generation`, the consumer group's). Per topic-partition the sink keeps
 * the highest generation that wrote it (`dstreams_sink_fences`, locked in the batch's
 * transaction, the row inserted first when missing so that two copies' first writes of a partition
 * queue on it too): a write from an older generation — a copy that lost the partition and has not
 * noticed yet — is refused, so it never writes for that partition again once the new owner has.
 * A write from a newer generation takes the partition over: it may re-cover offsets the
 * partition already has (its new owner resumed from the last offsets Kafka committed, which may
 * trail the sink by the batch in flight), which only update mode can absorb (the same keys
 * written again with values as of a later offset). Pure: the sink runs the queries.
 */
import type { OutputMode, SinkOffsetRange } from './options.js';

export const FENCES_TABLE = 'dstreams_sink_fences';

/** The claim id of a fenced write: one per sink, generation and partition set (copies never share one). */
export function fencedClaimId(sinkId: string, generation: number, offsets: readonly SinkOffsetRange[]): string {
  const tps = offsets.map((o) => `${o.topic}:${o.partition}`).sort();
  return `${sinkId}@${generation}/${tps.join(',')}`;
}

/**
 * Why a write of `generation` is refused (a newer generation wrote one of its partitions), or
 * the partitions it takes over (`"topic:partition"`: no write yet, or only older generations).
 */
export function fenceVerdict(
  stored: ReadonlyMap<string, number>,
  offsets: readonly SinkOffsetRange[],
  generation: number,
): { refused: string } | { takeovers: Set<string> } {
  const takeovers = new Set<string>();
  for (const o of offsets) {
    const key = `${o.topic}:${o.partition}`;
    const g = stored.get(key);
    if (g !== undefined && g > generation) {
      return {
        refused:
          `${key} was written by generation ${g}, this write is of generation ${generation}: the partition moved to ` +
          'another copy of the job, which now writes it (this copy must not)',
      };
    }
    if (g === undefined || g < generation) takeovers.add(key);
  }
  return { takeovers };
}

/** The offsets a takeover may re-cover: in update mode, those of the partitions it takes over are not checked for overlap. */
export function offsetsToCheck(
  offsets: readonly SinkOffsetRange[],
  takeovers: ReadonlySet<string>,
  mode: OutputMode,
): SinkOffsetRange[] {
  if (mode !== 'update') return [...offsets];
  return offsets.filter((o) => !takeovers.has(`${o.topic}:${o.partition}`));
}
