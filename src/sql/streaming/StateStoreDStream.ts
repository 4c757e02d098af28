/**
 * Structured Streaming's state store on the engine: a stateful DStream (StatefulDStream, as
 * updateStateByKey and mapWithState) whose state is keyed by the grouping key, checkpointed with
 * the engine's store — only the keys a batch changed go into the batch's commit. Each batch's
 * RDD is what the batch outputs in the query's mode.
 *
 * When things happen, for batch t (watermark W decided before t ran; W' the one the batch before
 * t ran with — Spark 3.5's eventTimeWatermarkForLateEvents and eventTimeWatermarkForEviction):
 *  - the input's rows of t flow through the stateless part below the operator, one at a time; a
 *    row whose event time (a window's end) is ≤ W' is late: dropped and counted
 *    (numRowsDroppedByWatermark) — complete mode keeps everything, as Spark;
 *  - aggregation: append emits and removes the groups whose event time (a window's end) is ≤ W;
 *    update emits the groups changed by t, then removes those ≤ W; complete emits all groups;
 *  - deduplication: a row whose key was never seen is emitted and remembered; late rows (≤ W') are
 *    dropped whatever the keys, but keys are forgotten (≤ W) only when the event-time column is one of them;
 *  - after the batch completed, its changes are the stream's checkpoint delta.
 */
import type { Checkpointable, SavedStreamCheckpoint, StreamCheckpoint } from '../../dstream/Checkpointable.js';
import type { DStream } from '../../dstream/DStream.js';
import { StatefulDStream } from '../../state/StatefulDStream.js';
import type { BoundAggregate } from '../aggregation.js';
import type { Deduplicate } from '../plan.js';
import type { OutputModeName } from '../sinks/Sink.js';
import { keyOf, valueKey, type Row } from '../values.js';
import { AnalysisException } from '../errors.js';
import { MicroBatchInput } from './MicroBatchInput.js';

/** What a state operator reads from its query, per batch. */
export interface StateContext {
  mode: OutputModeName;
  /** The watermark batch `time` runs with (ms), or undefined without one. */
  watermarkAt(time: number): number | undefined;
  /** Of a key (grouping values or a row): its event time, when the query has a watermark on it. */
  evictionTime: ((key: unknown[] | Row) => number | null) | undefined;
  /** Of a dropDuplicates input row: its event time, when the input carries a watermark (whatever the keys). */
  lateTime: ((row: Row) => number | null) | undefined;
  /** No checkpointLocation: the state is not checkpointed (the query cannot be resumed anyway). */
  ephemeral: boolean;
  /** The stateless part of the query below the operator, for batch `time`: source row → its rows. */
  pipe(time: number): (row: Row, push: (r: Row) => void) => void;
}

export interface StateOperatorMetrics {
  operatorName: string;
  numRowsTotal: number;
  numRowsUpdated: number;
  numRowsRemoved: number;
  numRowsDroppedByWatermark: number;
}

abstract class StateStoreDStream<E> extends StatefulDStream<Row, Row[]> implements Checkpointable {
  readonly numPartitions = 1;
  protected store = new Map<unknown, E>();
  /** Keys changed since the last checkpoint: their latest entry, or undefined when removed. */
  private dirty = new Map<unknown, E | undefined>();
  metrics: StateOperatorMetrics;

  /** The store's keys (groups, or rows kept by a dropDuplicates): the web UI's and /metrics' state keys. */
  override get size(): number {
    return this.store.size;
  }

  constructor(
    parent: DStream<Row>,
    protected readonly ctx: StateContext,
    operatorName: string,
  ) {
    super(parent as DStream<unknown>, `a streaming ${operatorName === 'dedupe' ? 'dropDuplicates' : 'aggregation'}`, { ephemeral: ctx.ephemeral });
    this.metrics = { operatorName, numRowsTotal: 0, numRowsUpdated: 0, numRowsRemoved: 0, numRowsDroppedByWatermark: 0 };
  }

  override get kind(): string {
    return `StateStore(${this.metrics.operatorName})`;
  }

  /**
   * A micro-batch reads only its own input and the state's latest version, and each batch's
   * checkpoint is written as it completes: one batch back is all that must be remembered (the
   * engine's default for stateful streams, twice the checkpoint interval, would keep 20 batches
   * of input rows and of complete-mode outputs in memory).
   */
  override initialize(zeroTime: number): void {
    super.initialize(zeroTime);
    this.rememberDuration = 2 * this.slideDuration;
  }
  protected override get parentRememberDuration(): number {
    return this.slideDuration;
  }

  protected partitionsOf(version: Row[]): Row[][] {
    return [version];
  }

  protected put(k: unknown, e: E): void {
    this.store.set(k, e);
    if (!this.ctx.ephemeral) this.dirty.set(k, e);
  }
  /** An entry already in the store changed in place: only the checkpoint needs to hear of it. */
  protected changedEntry(k: unknown, e: E): void {
    if (!this.ctx.ephemeral) this.dirty.set(k, e);
  }
  protected remove(k: unknown): void {
    this.store.delete(k);
    if (!this.ctx.ephemeral) this.dirty.set(k, undefined);
  }

  /**
   * Each row reaching the operator in batch `time`, in order: the input's rows pushed through the
   * stateless part below it one at a time (no intermediate collection).
   */
  protected forEachRow(time: number, f: (row: Row) => void): void {
    const rdd = (this.parent as DStream<Row>).getOrCompute(time);
    if (!rdd) return;
    const pipe = this.ctx.pipe(time);
    const each = (row: Row) => pipe(row, f);
    for (let i = 0; i < rdd.numPartitions; i++) rdd.iteratePartition(i, each);
  }

  /** True when `key`'s event time is at or below the watermark (late, or ready to evict). */
  protected expired(key: unknown[] | Row, watermark: number | undefined): boolean {
    return atOrBelow(this.ctx.evictionTime, key, watermark);
  }

  /**
   * The watermarks batch `time` drops late rows with and evicts with (Spark 3.5, SPARK-40925):
   * late rows by the watermark the previous batch ran with — what the query's input committed
   * last, so a batch re-run after a crash drops the same rows — and eviction by the batch's own.
   * The first batch has no previous one: 0, as its own.
   */
  protected watermarks(time: number): { late: number | undefined; evict: number | undefined } {
    const evict = this.ctx.watermarkAt(time);
    if (evict === undefined) return { late: undefined, evict };
    // Above a dropDuplicates, the query's input is the dedup's parent.
    let input: DStream<unknown> = this.parent;
    while (input instanceof StateStoreDStream) input = input.parent;
    const previous = input instanceof MicroBatchInput ? input.position.lastBatchWatermark : undefined;
    return { late: typeof previous === 'number' ? Math.min(evict, previous) : evict, evict };
  }

  /** The state's key and value layout (see checkStateSchema). */
  protected abstract get stateSchema(): string;

  checkpointDelta(time: number, full: boolean): StreamCheckpoint | undefined {
    if (this.versionForCheckpoint(time) === undefined) return undefined;
    const meta = { stateSchema: this.stateSchema };
    if (full) {
      this.dirty.clear();
      return { state: { replace: true, puts: [...this.store], deletes: [] }, meta };
    }
    const puts: [unknown, unknown][] = [];
    const deletes: unknown[] = [];
    for (const [k, e] of this.dirty) {
      if (e === undefined) deletes.push(k);
      else puts.push([k, e]);
    }
    this.dirty.clear();
    return { state: { replace: false, puts, deletes }, meta };
  }

  restoreCheckpoint(saved: SavedStreamCheckpoint): void {
    // Spark's state schema check: a query changed between runs (count became sum, another key)
    // would read the old buffers as its own. A checkpoint older than the check has no schema.
    const stored = (saved.meta as { stateSchema?: string } | undefined)?.stateSchema;
    if (stored !== undefined && stored !== this.stateSchema) {
      throw new AnalysisException(
        `Provided schema doesn't match to the schema for existing state: the checkpoint's ${this.metrics.operatorName} state is ` +
          `${stored}, this query's is ${this.stateSchema}. A changed query needs a new checkpointLocation`,
      );
    }
    this.store = new Map(saved.state as Iterable<[unknown, E]>);
    this.dirty.clear();
    this.restoredAt(saved.time, []);
  }
}

/**
 * groupBy/agg state: key → [grouping values, aggregation buffers, time of the batch that last
 * changed it]. The stamp lets a batch list the groups it changed with one map lookup per row.
 */
type GroupEntry = [key: unknown[], bufs: unknown[], changedAt: number];

export class AggregateStateDStream extends StateStoreDStream<GroupEntry> {
  constructor(
    parent: DStream<Row>,
    ctx: StateContext,
    private readonly agg: BoundAggregate,
  ) {
    super(parent, ctx, 'stateStoreSave');
  }

  protected get stateSchema(): string {
    return this.agg.stateSchema;
  }

  protected advance(time: number): Row[] {
    const { agg, ctx } = this;
    const wm = this.watermarks(time);
    const filterLate = ctx.mode !== 'complete' && wm.evict !== undefined && ctx.evictionTime !== undefined;
    /** The entries this batch changed (updated in place in the store). */
    const changed: [unknown, GroupEntry][] = [];
    let dropped = 0;
    const store = this.store;
    const step = agg.step;
    const touch = (k: unknown, key: () => unknown[], row: Row): void => {
      let e = store.get(k);
      if (e === undefined) store.set(k, (e = [key(), agg.newBuffers(), -1]));
      if (e[2] !== time) {
        e[2] = time;
        changed.push([k, e]);
      }
      step(e[1], row);
    };
    const single = agg.singleKey;
    if (single && !filterLate) {
      // One grouping value (a wordcount's word): the value is the key, no key array per row. The
      // batch is aggregated apart first — a small map, as Spark's partial aggregation and a
      // DStream's reduceByKey — then folded into the state once per group.
      const partial = new Map<unknown, unknown[]>();
      /** The grouping value of keys that are not the value itself (dates, structs). */
      const values = new Map<unknown, unknown>();
      this.forEachRow(time, (row) => {
        const v = single(row);
        const k = typeof v === 'string' ? v : valueKey(v);
        let bufs = partial.get(k);
        if (bufs === undefined) {
          partial.set(k, (bufs = agg.newBuffers()));
          if (k !== v) values.set(k, v);
        }
        step(bufs, row);
      });
      for (const [k, bufs] of partial) {
        let e = store.get(k);
        if (e === undefined) store.set(k, (e = [[values.has(k) ? values.get(k) : k], bufs, time]));
        else {
          agg.merge(e[1], bufs);
          e[2] = time;
        }
        changed.push([k, e]);
      }
    } else {
      this.forEachRow(time, (row) =>
        agg.keysOf(row, (key) => {
          if (filterLate && this.expired(key, wm.late)) {
            dropped++;
            return;
          }
          touch(keyOf(key), () => key, row);
        }),
      );
    }
    for (const [k, e] of changed) this.changedEntry(k, e);
    const out: Row[] = [];
    let removed = 0;
    if (ctx.mode === 'complete') {
      for (const [key, bufs] of store.values()) out.push(agg.output({ key, bufs }));
    } else if (ctx.mode === 'update') {
      for (const [, [key, bufs]] of changed) out.push(agg.output({ key, bufs }));
    }
    if (filterLate) {
      for (const [k, [key, bufs]] of [...store]) {
        if (!this.expired(key, wm.evict)) continue;
        if (ctx.mode === 'append') out.push(agg.output({ key, bufs }));
        this.remove(k);
        removed++;
      }
    }
    this.metrics = {
      operatorName: 'stateStoreSave',
      numRowsTotal: store.size,
      numRowsUpdated: changed.length,
      numRowsRemoved: removed,
      numRowsDroppedByWatermark: dropped,
    };
    return out;
  }
}

/** dropDuplicates state: key → the event time of its first row (0 without a watermark). */
export class DedupStateDStream extends StateStoreDStream<number> {
  constructor(
    parent: DStream<Row>,
    ctx: StateContext,
    private readonly node: Deduplicate,
  ) {
    super(parent, ctx, 'dedupe');
  }

  protected get stateSchema(): string {
    return `key (${this.node.columns.join(', ')})`;
  }

  protected advance(time: number): Row[] {
    const wm = this.watermarks(time);
    const out: Row[] = [];
    let dropped = 0;
    let updated = 0;
    this.forEachRow(time, (row) => {
      if (atOrBelow(this.ctx.lateTime, row, wm.late)) {
        dropped++;
        return;
      }
      const k = this.node.keyOf(row);
      if (this.store.has(k)) return;
      // A null event time is never at or below the watermark (Spark): its key stays.
      const t = this.ctx.evictionTime?.(row);
      this.put(k, t === undefined ? 0 : (t ?? Number.MAX_SAFE_INTEGER));
      updated++;
      out.push(row);
    });
    let removed = 0;
    if (wm.evict !== undefined && this.ctx.evictionTime !== undefined) {
      for (const [k, t] of [...this.store]) {
        if (t <= wm.evict) {
          this.remove(k);
          removed++;
        }
      }
    }
    this.metrics = {
      operatorName: 'dedupe',
      numRowsTotal: this.store.size,
      numRowsUpdated: updated,
      numRowsRemoved: removed,
      numRowsDroppedByWatermark: dropped,
    };
    return out;
  }
}

/** True when `x`'s event time (by `of`) is at or below the watermark; a null one never is (SQL's `<=` on NULL). */
function atOrBelow<X>(of: ((x: X) => number | null) | undefined, x: X, watermark: number | undefined): boolean {
  if (watermark === undefined || of === undefined) return false;
  const t = of(x);
  return t !== null && t <= watermark;
}
