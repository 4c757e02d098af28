/**
 * The direct Kafka stream's commits to its consumer group (Spark's CanCommitOffsets.commitAsync):
 * the ends of the ranges a job names, committed to `group.id` in call order. Apart from the
 * stream because they are the job's word to Kafka's tools and to restarts without a checkpoint,
 * not the stream's position (that is in its checkpoint): the stream reads the group's offsets
 * only when it starts without one.
 *
 * When things happen:
 *  - commitAsync: the ranges are checked at once; the commit is sent once every earlier one has
 *    settled, and its promise (and callback) says when Kafka has it or why not;
 *  - scaled out (applicationId): every batch commits its offsets to the group in its own
 *    transactions, so commitAsync only checks the ranges, and warns (once) of a range that ends
 *    past what the stream has read: that skip-ahead is not committed (outside the transactions it
 *    would move the group past records no batch processed);
 *  - stop(): the stream waits for the commits asked before closing its client (settled).
 */
import type { KafkaClient } from '../kafka/client.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import { checkOffsetRanges, KafkaConfigError, tpKey, type ResolvedKafkaParams } from '../kafka/params.js';

/** What the commits need of their stream. */
export interface CommittingStream {
  readonly params: ResolvedKafkaParams;
  /** Scaled out: the ranges are committed with their batch's transactions. */
  readonly scaledOut: boolean;
  /** Started and not stopped. */
  running(): boolean;
  /** The offset the next batch of partition `"topic:partition"` starts from (undefined: not read yet). */
  nextOffset(tp: string): number | undefined;
  kafka(): KafkaClient;
}

export class OffsetCommits {
  private chain: Promise<unknown> = Promise.resolve();
  private warnedSkipAhead = false;

  constructor(private readonly stream: CommittingStream) {}

  /** See DirectKafkaInputDStream.commitAsync. */
  commitAsync(offsetRanges: readonly OffsetRange[], callback?: (error?: unknown) => void): Promise<void> {
    const p = (async () => {
      if (this.stream.scaledOut) {
        this.warnSkipAhead(checkOffsetRanges(offsetRanges, 'commitAsync offsetRanges'));
        return;
      }
      const groupId = this.stream.params.groupId;
      if (groupId === undefined) throw new KafkaConfigError('commitAsync needs kafkaParams "group.id" (the consumer group to commit to)');
      if (!this.stream.running()) throw new Error('commitAsync: the direct Kafka stream is not running');
      const ranges = checkOffsetRanges(offsetRanges, 'commitAsync offsetRanges');
      const offsets = new Map<string, { topic: string; partition: number; offset: number }>();
      for (const r of ranges) {
        const k = tpKey(r.topic, r.partition);
        const prev = offsets.get(k);
        if (!prev || r.untilOffset > prev.offset) offsets.set(k, { topic: r.topic, partition: r.partition, offset: r.untilOffset });
      }
      // Queued synchronously, at the call: commits reach Kafka in call order.
      const run = this.chain.catch(() => undefined).then(() => this.stream.kafka().commit(groupId, offsets));
      this.chain = run.catch(() => undefined);
      await run;
    })();
    p.then(
      () => callback?.(),
      (e: unknown) => callback?.(e),
    );
    p.catch(() => undefined); // an un-awaited failed commit must not crash the process
    return p;
  }

  private warnSkipAhead(ranges: readonly OffsetRange[]): void {
    if (this.warnedSkipAhead) return;
    for (const r of ranges) {
      const next = this.stream.nextOffset(tpKey(r.topic, r.partition));
      if (next === undefined || r.untilOffset <= next) continue;
      this.warnedSkipAhead = true;
      console.warn(
        `dstreams: commitAsync on a scaled-out stream: the range of ${r.topic}:${r.partition} ends at ${r.untilOffset}, past the ` +
          `stream's position ${next}. Each batch commits its own offsets in its transactions; a skip-ahead is not committed ` +
          '(this warning is given once)',
      );
      return;
    }
  }

  /** Resolves once every commit asked so far has settled, failed ones included. */
  settled(): Promise<unknown> {
    return this.chain.catch(() => undefined);
  }
}
