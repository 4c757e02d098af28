/**
 * Runs one streaming query on the dstreams engine. The query is a StreamingContext whose
 * batches are the query's micro-batches: the context runs on a private ManualClock, and each
 * trigger that finds new data (or a watermark that moved: Spark's no-data batch) advances it by
 * one batch duration, which runs exactly one engine batch — input, state operator, sink write,
 * checkpoint — and resolves when it completed. So batchId = engine time / 1000 − 1, the engine's
 * checkpoint (getOrCreate) holds offsets, watermark and state, and recovery re-runs the batch
 * in flight with the offsets written before it ran. The engine's times only count batches: what
 * the context's attachments (progress lines, web UI) show is the query's (EngineDisplay).
 *
 * Graph: MicroBatchInput → Aggregate/DedupStateDStream (which pushes each input row through the
 * stateless part below it) → foreachRDD(stateless part above it, then sink.addBatch).
 * Without a state operator: MicroBatchInput → foreachRDD(whole plan, sink).
 *
 * When things happen, per trigger (one at a time):
 *  1. the source's latest offset (latestOffset) — or, after a crash, the batch in flight;
 *  2. nothing new and the watermark did not move since the last batch of this run → no batch
 *     (after a restart, none before a batch ran: Spark decides from its lastExecution);
 *  3. the batch's rows (getBatch), handed to the input; the engine clock advances one batch;
 *  4. after it completed: the source commits, the progress is recorded, listeners hear it.
 */
import { withBatchTimestamp } from '../batchTimestamp.js';
import { setBatchDisplay } from '../../context/attachments.js';
import { ManualClock } from '../../context/Clock.js';
import { StreamingContext } from '../../context/StreamingContext.js';
import type { DStream } from '../../dstream/DStream.js';
import { compilePipe, executeStatic } from '../execute.js';
import { Aggregate, Deduplicate, Limit, type PipeObserver, type Plan, type StreamScan } from '../plan.js';
import type { BatchOutput, OutputModeName, Sink } from '../sinks/Sink.js';
import { sameOffset, type ReadLimits, type Source, type SourceProvider } from '../sources/Source.js';
import type { Row } from '../values.js';
import { dedupEventTimes, type StreamingShape } from './analysis.js';
import { EngineDisplay } from './engineDisplay.js';
import { MicroBatchInput, type MicroBatchPosition, type PlannedBatch } from './MicroBatchInput.js';
import { perSecond, type StreamingQueryProgress } from './progress.js';
import type { Trigger } from './trigger.js';
import { AggregateStateDStream, DedupStateDStream, type StateContext } from './StateStoreDStream.js';
import { WatermarkTracker, type WatermarkPolicy, type WatermarkState } from './WatermarkTracker.js';

/** Engine time per micro-batch: batch N runs at (N + 1) × BATCH. */
export const BATCH = 1000;

/**
 * A sink write that failed once stop() had closed the sink under it: the stop's doing (Spark's
 * isInterruptedByStop), so the query stopped rather than failed. Only these are excused: any
 * other error of a batch (a foreachBatch function's, after `await query.stop()` too) fails it.
 */
class InterruptedByStop extends Error {
  constructor(sink: string, cause: unknown) {
    super(`stop() closed ${sink} while it wrote the batch: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'InterruptedByStop';
  }
}

export interface ExecutionOptions {
  id: string;
  runId: string;
  name: string | null;
  appName: string;
  root: Plan;
  shape: StreamingShape;
  mode: OutputModeName;
  sink: Sink;
  /** The engine's checkpoint directory (the query's checkpointLocation/engine); none: nothing is checkpointed. */
  checkpointDir: string | undefined;
  /** spark.sql.streaming.multipleWatermarkPolicy at this start (a checkpoint's own wins). */
  watermarkPolicy: WatermarkPolicy;
  now: () => number;
  /** The session clock when start() was called, and the wall clock then. */
  startedAt: number;
  startedAtWallMs: number;
  /** The query's trigger: what the engine context's progress lines and web UI show as its cadence. */
  trigger: Trigger | undefined;
  onProgress: (p: StreamingQueryProgress) => void;
}

export class MicroBatchExecution {
  private ssc!: StreamingContext;
  private readonly clock = new ManualClock(0);
  private input!: MicroBatchInput;
  private source!: Source;
  private state: AggregateStateDStream | DedupStateDStream | undefined;
  /** Event times seen by each withWatermark per batch, and the watermarks they make. */
  private readonly tracker: WatermarkTracker;
  /** The engine context's batches as its attachments show them: trigger times, not engine times. */
  private readonly display: EngineDisplay;
  private lastOutputRows = 0;
  /** Whether a batch ran in this run (Spark's lastExecution is set): only then may a no-data batch follow. */
  private batchRan = false;
  private lastTimings = { addBatch: 0 };
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** Set once stop() began closing the sink: a write failing from then on was interrupted by it. */
  private sinkClosedByStop = false;
  /** Why the engine's context stopped, once it failed. */
  private engineFailure: { error: unknown } | undefined;

  constructor(private readonly o: ExecutionOptions) {
    this.tracker = new WatermarkTracker(o.shape.watermarks);
    this.display = new EngineDisplay({ id: o.id, runId: o.runId, name: o.name }, o.trigger, o.now);
  }

  get batchesRun(): number {
    return this.clock.getTimeMillis() / BATCH;
  }

  /** Build the engine graph (again, on recovery: a job is a module), restore, start. */
  async start(): Promise<void> {
    const build = (): StreamingContext => {
      const ssc = new StreamingContext({ batchDuration: BATCH, clock: this.clock, appName: this.o.appName, defaultParallelism: 1 });
      this.buildGraph(ssc);
      return ssc;
    };
    this.ssc = this.o.checkpointDir === undefined ? build() : await StreamingContext.getOrCreate(this.o.checkpointDir, build);
    setBatchDisplay(this.ssc, this.display);
    const recovered = this.ssc.recoveredFrom;
    if (recovered !== undefined) await this.clock.setTime(recovered);
    this.source = (this.o.shape.scan.spec as SourceProvider).createSource({ startedAt: this.o.startedAt, startedAtWallMs: this.o.startedAtWallMs });
    // Where a restart resumes, read before ssc.start() restores it: a source that started over as
    // configured would check its starting offsets again, or number a socket's lines from 0 anew.
    const resumed = this.ssc.resumeMetaOf(this.input) as Partial<MicroBatchPosition> | undefined;
    await this.source.start?.(resumed?.committed);
    this.input.initialOffset = this.source.initialOffset?.();
    await this.ssc.start();
    // A context failure (a user function, the sink, a checkpoint write that failed after its batch
    // returned) also ends the query: the next trigger throws it rather than run on a stopped engine.
    this.ssc.awaitTermination().catch((error: unknown) => (this.engineFailure ??= { error }));
  }

  private buildGraph(ssc: StreamingContext): void {
    const { root, shape, mode } = this.o;
    const scan: StreamScan = shape.scan;
    const observer: PipeObserver = { eventTime: (w, ms) => this.tracker.observe(this.currentTime, w, ms) };
    const watermarked = shape.watermarks.length > 0;
    this.input = new MicroBatchInput(ssc.graph, (time) => this.watermarkAfter(time), this.o.watermarkPolicy);
    let out: DStream<Row> = this.input;
    let leaf: Plan = scan;
    const stateful = shape.stateful;
    if (stateful) {
      const below = stateful.children[0]!;
      const ctx: StateContext = {
        mode,
        watermarkAt: (time) => (watermarked ? this.input.planned(time)?.watermark ?? this.input.position.watermark : undefined),
        evictionTime: shape.evictionTime,
        lateTime: shape.lateTime,
        ephemeral: this.o.checkpointDir === undefined,
        // Built per batch: a join's static side is read then.
        pipe: () => compilePipe(below, scan, observer),
      };
      let input: DStream<Row> = this.input;
      const dedup = shape.dedupBelow;
      if (dedup) {
        // A dropDuplicates below the aggregation: its own state operator, made first (the engine
        // checkpoints each stream under its place in the graph: two entries, each restored into
        // its own). It runs the pipe from the scan up to it; the aggregation, the rest over the rows it kept.
        input = new DedupStateDStream(input, { ...ctx, ...dedupEventTimes(dedup), pipe: () => compilePipe(dedup.children[0]!, scan, observer) }, dedup);
        ctx.pipe = () => compilePipe(below, dedup, observer);
      }
      this.state = stateful instanceof Aggregate ? new AggregateStateDStream(input, ctx, stateful.agg) : new DedupStateDStream(input, ctx, stateful as Deduplicate);
      out = this.state;
      leaf = stateful;
    }
    const limits = shape.globalLimits;
    out.foreachRDD(async (rdd, time) => {
      // Append-mode limits pass what is left of their n; the counts commit with the batch, so a re-run passes the same rows.
      const counts = limits.map((_l, i) => this.input.position.limitCounts?.[i] ?? 0);
      const limit = (node: Limit, input: Row[]): Row[] => {
        const i = limits.indexOf(node);
        const passed = input.slice(0, Math.max(0, node.n - counts[i]!));
        counts[i]! += passed.length;
        return passed;
      };
      const rows = executeStatic(root, { leaf, rows: rdd.collect(), limit: limits.length > 0 ? limit : undefined }, observer);
      if (limits.length > 0) this.input.recordLimitCounts(time, counts);
      this.lastOutputRows = rows.length;
      const batch: BatchOutput = { batchId: time / BATCH - 1, rows, schema: root.schema, mode };
      const t0 = performance.now();
      try {
        await this.o.sink.addBatch(batch);
      } catch (e) {
        throw this.sinkClosedByStop ? new InterruptedByStop(this.o.sink.description, e) : e;
      }
      this.lastTimings.addBatch = performance.now() - t0;
    });
  }

  /** The engine time of the batch running now (the observer files event times under it). */
  private get currentTime(): number {
    return this.clock.getTimeMillis();
  }

  private watermarkAfter(time: number): WatermarkState {
    const ran = this.input.planned(time)?.watermark ?? this.input.position.watermark;
    return this.tracker.after(time, ran, this.input.position);
  }

  /** Run the triggers one at a time, in call order. */
  private serialize<T>(f: () => Promise<T>): Promise<T> {
    const next = this.chain.then(f, f);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** One trigger: a batch if there is new data or the watermark moved. True when a batch ran. */
  runTrigger(limits: ReadLimits = {}): Promise<boolean> {
    return this.serialize(() => this.trigger(limits));
  }

  /** Throws why the engine stopped, if it did while the query runs (its clock then runs no batch). */
  private checkEngine(): void {
    if (this.engineFailure) throw this.engineFailure.error;
    if (this.ssc.state === 'stopped') throw new Error('the query\'s StreamingContext stopped');
  }

  private async trigger(limits: ReadLimits): Promise<boolean> {
    if (this.stopped) return false;
    this.checkEngine();
    const triggerStart = this.o.now();
    const t0 = performance.now();
    const pos = this.input.position;
    const time = this.clock.getTimeMillis() + BATCH;
    let plan: PlannedBatch;
    let latest: unknown;
    const pending = this.input.recoveredPending;
    if (pending && pending.time === time) {
      plan = pending;
      latest = pending.end;
    } else {
      const start = pos.committed ?? this.source.initialOffset?.();
      latest = await this.source.latestOffset(start, limits);
      const hasData = latest !== undefined && !sameOffset(latest, start);
      this.dataAvailableAtLastTrigger = hasData;
      // Spark's lastExecution.shouldRunAnotherBatch: a batch without data only to evict and emit
      // (append, update; never complete), and only after a batch of this run — a restarted query
      // has no lastExecution, so a watermark that moved before the restart waits for new data.
      const noDataBatch =
        this.batchRan && this.o.mode !== 'complete' && this.o.shape.watermarks.length > 0 && this.state !== undefined && pos.watermark > pos.lastBatchWatermark;
      if (!hasData && !noDataBatch) return false;
      plan = { time, start, end: hasData ? latest : start, watermark: pos.watermark, timestamp: triggerStart };
    }
    const tLatest = performance.now();
    const rows = sameOffset(plan.start, plan.end) ? [] : await this.source.getBatch(plan.start, plan.end);
    const tGet = performance.now();
    this.input.prepare(plan, rows);
    this.lastOutputRows = 0;
    // Spark's inputRowsPerSecond: the rows over the time since the previous batch's trigger started.
    const inputRate = perSecond(rows.length, this.lastTriggerStart === undefined ? 0 : triggerStart - this.lastTriggerStart);
    this.display.plan(time, time / BATCH - 1, triggerStart, inputRate);
    try {
      await withBatchTimestamp(plan.timestamp ?? triggerStart, () => this.clock.advance(BATCH));
      this.checkEngine();
    } catch (e) {
      // stop() interrupted the batch (it closed the sink under it): the batch runs again after a
      // restart, and the query stopped rather than failed. Any other error fails the query.
      if (e instanceof InterruptedByStop) return false;
      throw e;
    }
    this.input.commit(time);
    this.batchRan = true;
    this.source.commit?.(plan.end);
    const tEnd = performance.now();
    this.report(plan, rows.length, inputRate, latest, triggerStart, { latestOffset: tLatest - t0, getBatch: tGet - tLatest, total: tEnd - t0 });
    this.tracker.forget(time);
    return true;
  }

  private report(plan: PlannedBatch, numInputRows: number, inputRate: number, latest: unknown, started: number, t: { latestOffset: number; getBatch: number; total: number }): void {
    const batchId = plan.time / BATCH - 1;
    const total = Math.max(1, Math.round(t.total));
    this.lastTriggerStart = started;
    const processedRate = perSecond(numInputRows, t.total);
    const e = this.tracker.reported(plan.time);
    const iso = (ms: number) => new Date(ms).toISOString();
    const progress: StreamingQueryProgress = {
      id: this.o.id,
      runId: this.o.runId,
      name: this.o.name,
      timestamp: iso(started),
      batchId,
      numInputRows,
      inputRowsPerSecond: inputRate,
      processedRowsPerSecond: processedRate,
      durationMs: {
        latestOffset: Math.round(t.latestOffset),
        getBatch: Math.round(t.getBatch),
        addBatch: Math.round(this.lastTimings.addBatch),
        queryPlanning: 0,
        walCommit: 0,
        commitOffsets: 0,
        triggerExecution: total,
      },
      stateOperators: this.state ? [{ ...this.state.metrics, memoryUsedBytes: 0 }] : [],
      sources: [
        {
          description: this.o.shape.scan.description,
          // Spark reports no start for the first batch (a Kafka source's starting offsets are its start).
          startOffset: batchId === 0 ? null : (plan.start ?? null),
          endOffset: plan.end ?? null,
          latestOffset: latest ?? null,
          numInputRows,
          inputRowsPerSecond: inputRate,
          processedRowsPerSecond: processedRate,
        },
      ],
      sink: { description: this.o.sink.description, numOutputRows: this.lastOutputRows },
    };
    if (this.o.shape.watermarks.length > 0) {
      progress.eventTime = { watermark: iso(plan.watermark) };
      if (e) Object.assign(progress.eventTime, { max: iso(e.max), min: iso(e.min), avg: iso(e.sum / e.count) });
    }
    this.o.onProgress(progress);
  }
  private lastTriggerStart: number | undefined;
  /** Whether the last trigger found new data (StreamingQueryStatus.isDataAvailable). */
  dataAvailableAtLastTrigger = false;

  /** Triggers until a trigger finds nothing to do (no-data batches included). */
  async drain(): Promise<number> {
    let n = 0;
    while (!this.stopped && (await this.runTrigger())) n++;
    return n;
  }

  /**
   * Trigger.AvailableNow: the data there now, in batches the rate limits allow, and the no-data
   * batches after it; what arrives meanwhile is left for the next run (the end is fixed first).
   */
  async drainAvailableNow(): Promise<number> {
    const end = await this.serialize(async () => {
      const start = this.input.recoveredPending?.end ?? this.input.position.committed ?? this.source.initialOffset?.();
      return { end: (await this.source.latestOffset(start, { ignoreLimits: true })) ?? start };
    });
    let n = 0;
    while (!this.stopped && (await this.runTrigger({ upTo: end }))) n++;
    return n;
  }

  /** Is data available that no batch has taken yet (for status). */
  async dataAvailable(): Promise<boolean> {
    const latest = await this.source.latestOffset(this.input.position.committed);
    return latest !== undefined && !sameOffset(latest, this.input.position.committed);
  }

  /** Whether the caller runs inside this query's batch (its sink's write: foreachBatch). */
  get insideBatch(): boolean {
    return this.ssc?.insideOutputOperation ?? false;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // As Spark's stop() interrupts the batch running, the sink is closed first: a write that waits
    // (PostgreSQL away and the sink retrying, or a lock held) fails now — its transaction rolls
    // back — instead of holding the stop for the sink's whole retry budget.
    this.sinkClosedByStop = this.o.sink.close !== undefined;
    const closing = this.o.sink.close?.().then(
      () => undefined,
      (e: unknown) => ({ error: e }),
    );
    await this.chain;
    const errors: unknown[] = [];
    // The whole engine stop, also when this stop began inside a batch (foreachBatch calling
    // query.stop()): the context's stop() then resolves once begun, and a restart on the same
    // checkpoint would find the store still open.
    const stopEngine = async (): Promise<void> => {
      await this.ssc?.stop();
      await this.ssc?.whenStopped;
    };
    for (const step of [stopEngine, () => this.source?.stop?.()]) {
      try {
        await step();
      } catch (e) {
        errors.push(e);
      }
    }
    const closed = await closing;
    if (closed) errors.push(closed.error);
    if (errors.length > 0) throw errors[0];
  }
}
