/**
 * `foreachBatchTo(tables, { name: stream, … })`: each batch of several streams written to their
 * tables in ONE PostgreSQL transaction — the output a job with more than one result (totals
 * and dead letters, say) needs, without tagging and `transformWith` chains of its own.
 *
 * When things happen: the streams' RDDs of batch t are combined when the output runs (one
 * output operation, so the batch completes only once the transaction has committed); their
 * elements are collected, grouped by table, and written with `tables.writeBatch` under the batch's
 * claim, with the batch's offset ranges (from an `OffsetTracker` on the direct stream, which is
 * then told to forget t). A replayed batch (already committed) writes nothing.
 */
import type { DStream } from '../dstream/DStream.js';
import { TransformedDStream } from '../dstream/operators/transform.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import { RDD } from '../rdd/RDD.js';
import type { PostgresSink, PostgresTables, RowOf, TableRows, WriteTablesResult } from '../sinks/postgres/index.js';
import { OffsetTracker } from './exactlyOnce.js';

export interface ForeachBatchToOptions<S extends Record<string, PostgresSink<any>>> {
  /**
   * The batch's Kafka offsets, stored in the same transaction: the `OffsetTracker` that tracks
   * the direct stream (it forgets each batch once written), or a function of the batch time.
   */
  offsets?: OffsetTracker | ((time: number) => readonly OffsetRange[] | undefined);
  /** With the sinks' `rebuild` (update mode): the owner table's full state at batch `time`. */
  fullState?: (time: number) => Iterable<RowOf<S[keyof S]>> | Promise<Iterable<RowOf<S[keyof S]>>>;
  /** Called after each batch's transaction, with what it wrote. */
  onWritten?: (result: WriteTablesResult<S>, time: number) => void | Promise<void>;
}

export function foreachBatchTo<S extends Record<string, PostgresSink<any>>>(
  tables: PostgresTables<S>,
  streams: { [K in keyof S]?: DStream<RowOf<S[K]>> },
  options: ForeachBatchToOptions<S> = {},
): void {
  const names = Object.keys(streams).filter((n) => streams[n] !== undefined) as Array<keyof S & string>;
  if (names.length === 0) throw new TypeError('foreachBatchTo needs at least one stream ({ table: stream })');
  for (const n of names) {
    if (!(n in tables.sinks)) throw new TypeError(`foreachBatchTo: no table named "${n}" in the PostgresTables`);
  }
  const parents = names.map((n) => streams[n] as DStream<unknown>);
  const tagged = new TransformedDStream<[number, unknown]>(parents, (rdds) =>
    RDD.unionAll(rdds.map((rdd, i) => rdd.map((row): [number, unknown] => [i, row]))),
  );
  const { offsets, fullState, onWritten } = options;
  // The batch is claimed under the owner's sinkId: a second output of that claim would be skipped.
  const lease = tables.owner.registerOutput();
  tagged.foreachRDD(async (rdd, time) => {
    lease.check();
    const rows: Record<string, unknown[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (const [i, row] of rdd.collect()) rows[names[i]!]!.push(row);
    const offsetRanges = offsets instanceof OffsetTracker ? offsets.rangesAt(time) : offsets?.(time);
    const result = await tables.writeBatch({ batchTime: time, offsetRanges }, rows as TableRows<S>, {
      ...(fullState ? { fullState: () => fullState(time) } : {}),
    });
    if (offsets instanceof OffsetTracker) offsets.forget(time);
    await onWritten?.(result, time);
  });
}
