import { checkDuration, type Duration } from '../util/duration.js';
import type { Checkpointable, StateKeyCounts } from './Checkpointable.js';
import type { DStream } from './DStream.js';

/** What one input contributed to one batch (Spark's StreamInputInfo): its records and, for some inputs, where they came from. */
export interface StreamInputInfo {
  inputStreamId: number;
  numRecords: number;
  /** Input-specific facts, e.g. a direct Kafka stream's `offsetRanges` and the `latestOffsets` it saw. */
  metadata?: Readonly<Record<string, unknown>>;
  /** Bytes of the input's records in the batch, when it can tell. */
  numBytes?: number;
  /** Input left waiting behind the batch when it was cut, when it can tell. */
  backlog?: Backlog;
}

/** One output operation's work for one batch. */
export interface Job {
  readonly outputId: number;
  readonly name: string;
  readonly time: number;
  run(): void | Promise<void>;
}

/** What every input stream offers the graph: lifecycle and per-batch record counts. */
export interface InputStream {
  readonly id: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Called before batch `time` is computed, batch after batch in time order; a promise holds
   * the batch's generation until it settles. An input that must ask something first (a direct
   * stream's latest offsets, a logged block to load) decides its batch here, so the RDD its
   * `compute` hands to transform/foreachRDD is complete (offset ranges included).
   */
  prepareBatch?(time: number): Promise<void> | undefined;
  /** Receivers: stop taking in data but keep what was received for the batches still to run (graceful stop). */
  stopReceiving?(): Promise<void>;
}

/** An output stream: the end of a chain that turns a batch into a job. */
export interface OutputStream {
  readonly id: number;
  generateJob(time: number): Job | undefined;
}

const ignore = (): void => {};

/** A state stream that advances batch `time` itself, reading its store asynchronously (state on disk). */
export interface AsyncState {
  /** Advance the state to batch `time` (undefined: nothing to wait for, materialise as usual). */
  prepareState(time: number): Promise<void> | undefined;
}

/** A state stream that can load its initial state before its first batch (prepareInitialStates). */
export interface PreparedInitialState {
  prepareInitialState(): void;
}

function materialize(s: DStream<unknown>, time: number): void {
  const rdd = s.getOrCompute(time);
  if (rdd) {
    rdd.cache(); // kept, so later readers see this batch's state without computing it again
    for (let i = 0; i < rdd.numPartitions; i++) rdd.iteratePartition(i, ignore);
  }
}

/** What an input can tell about its part of a batch, besides the record count. */
export interface InputBatchFacts {
  /** Bytes of the batch's records (Kafka keys + values, file sizes, logged block bytes). */
  bytes?: number;
  /** Input waiting behind this batch, taken by no batch yet (records, bytes, files, as the input knows them). */
  backlog?: Backlog;
}

/** Input not yet taken by any batch (what catch-up still has to do). */
export interface Backlog {
  records?: number;
  bytes?: number;
  files?: number;
}

type Lifecycle = 'initialized' | 'active' | 'stopped';

/**
 * The DStream graph of one StreamingContext: every stream in creation order (their ids are
 * stable across runs of the same program, which checkpoint recovery relies on), the inputs,
 * the output operations in registration order, and the context facts streams need.
 */
export class DStreamGraph {
  readonly batchDuration: Duration;
  readonly defaultParallelism: number;
  readonly streams: DStream<unknown>[] = [];
  readonly inputs: (DStream<unknown> & InputStream)[] = [];
  readonly outputs: (DStream<unknown> & OutputStream)[] = [];
  /** Streams whose RDD must be computed at every batch, in time order, before the outputs run (state). */
  readonly materializedEachBatch: DStream<unknown>[] = [];
  /** Why this graph needs a checkpoint directory (stateful operations), one entry per operation. */
  readonly checkpointReasons: string[] = [];
  /** The stream each of checkpointReasons belongs to, at the same index. */
  private readonly checkpointReasonStreams: DStream<unknown>[] = [];
  checkpointDir: string | undefined;
  rememberDuration: Duration | undefined;
  zeroTime: number | undefined;
  /** After recovery: the last batch the checkpoint completed. Inputs never recompute a batch up to it. */
  recoveredTime: number | undefined;
  /**
   * After recovery with skipMissedBatches: the batch times in (after, before) are not run, except
   * those in `rerun` (generated before the crash); inputs have no data for them.
   */
  skippedBatches: { after: number; before: number; rerun: ReadonlySet<number> } | undefined;
  lifecycle: Lifecycle = 'initialized';
  /** What each input produced per batch time, for listeners' `numRecords` and `streamIdToInputInfo`. */
  private readonly inputRecords = new Map<number, Map<number, StreamInputInfo>>();

  constructor(batchDuration: Duration, defaultParallelism = 2) {
    this.batchDuration = checkDuration(batchDuration, 'batchDuration');
    if (!Number.isInteger(defaultParallelism) || defaultParallelism < 1) {
      throw new RangeError(`defaultParallelism must be a positive integer, got ${defaultParallelism}`);
    }
    this.defaultParallelism = defaultParallelism;
  }

  /** Throws when the graph can no longer change (Spark: no new operations after start). */
  assertMutable(what: string): void {
    if (this.lifecycle === 'active') {
      throw new Error(`cannot add ${what} after the StreamingContext has started`);
    }
    if (this.lifecycle === 'stopped') {
      throw new Error(`cannot add ${what}: the StreamingContext has been stopped`);
    }
  }

  /** True for a batch time skipped on recovery (see skippedBatches): inputs have no data then. */
  isSkipped(time: number): boolean {
    const s = this.skippedBatches;
    return s !== undefined && time > s.after && time < s.before && !s.rerun.has(time);
  }

  register(stream: DStream<unknown>): number {
    this.streams.push(stream);
    return this.streams.length - 1;
  }

  addInput(stream: DStream<unknown> & InputStream): void {
    this.inputs.push(stream);
  }

  addOutput(stream: DStream<unknown> & OutputStream): void {
    this.outputs.push(stream);
  }

  /**
   * `stream` needs a checkpoint directory for `reason` (its operation) — when it runs: an input
   * always, another stream when an output depends on it (checkpointReasonsInUse). Called from
   * the stream's constructor, after DStream's, so `stream` defaults to the last one registered.
   */
  requireCheckpoint(reason: string, stream: DStream<unknown> = this.streams[this.streams.length - 1]!): void {
    this.checkpointReasons.push(reason);
    this.checkpointReasonStreams.push(stream);
  }

  /**
   * The checkpointReasons of the streams that run: the inputs (all start) and the streams some
   * output depends on. As Spark, which validates only the output streams' lineage
   * (DStreamGraph.validate): a stateful stream no output reads is never computed.
   */
  checkpointReasonsInUse(): string[] {
    const used = new Set<DStream<unknown>>(this.inputs);
    const visit = (s: DStream<unknown>): void => {
      if (used.has(s)) return;
      used.add(s);
      for (const d of s.dependencies) visit(d);
    };
    for (const out of this.outputs) visit(out);
    return this.checkpointReasons.filter((_, i) => used.has(this.checkpointReasonStreams[i]!));
  }

  /**
   * Stateful streams keep their state up to date batch by batch: their RDD of every batch is
   * computed when that batch runs, before its output operations, even if no output reads it.
   */
  materializeEachBatch(stream: DStream<unknown>): void {
    this.materializedEachBatch.push(stream);
  }

  /**
   * A fresh start, before the inputs start: the state streams that can load their initial state
   * now do, so that the first batch does not while records queue behind it.
   */
  prepareInitialStates(): void {
    for (const s of this.materializedEachBatch) (s as Partial<PreparedInitialState>).prepareInitialState?.();
  }

  /**
   * Compute the state streams' RDDs of batch `time` (called when the batch starts running), in
   * creation order. A stream that must read its store asynchronously (`prepareState`: state on
   * disk visited key by key) advances itself there; the result is a promise only then.
   */
  materializeState(time: number): void | Promise<void> {
    for (let i = 0; i < this.materializedEachBatch.length; i++) {
      const s = this.materializedEachBatch[i]!;
      const prepared = (s as Partial<AsyncState>).prepareState?.(time);
      if (prepared !== undefined) return prepared.then(() => this.materializeFrom(i + 1, time));
      materialize(s, time);
    }
  }

  private async materializeFrom(from: number, time: number): Promise<void> {
    for (let i = from; i < this.materializedEachBatch.length; i++) {
      const s = this.materializedEachBatch[i]!;
      const prepared = (s as Partial<AsyncState>).prepareState?.(time);
      if (prepared !== undefined) await prepared;
      else materialize(s, time);
    }
  }

  remember(duration: Duration): void {
    this.rememberDuration = checkDuration(duration, 'remember duration');
  }

  /** Fix the zero time and let every stream work out how long it must remember its batches. */
  start(zeroTime: number): void {
    this.zeroTime = zeroTime;
    for (const out of this.outputs) out.initialize(zeroTime);
    for (const input of this.inputs) if (input.zeroTime === undefined) input.initialize(zeroTime);
    for (const out of this.outputs) out.remember(this.rememberDuration);
    for (const out of this.outputs) out.validateAtStart();
  }

  /**
   * Every input takes its data for batch `time` first, whether or not an output needs it then
   * (a window may not), so each batch's input is cut exactly once, at its own time.
   */
  computeInputs(time: number): void {
    for (const input of this.inputs) input.getOrCompute(time);
  }

  /**
   * Lets every input prepare batch `time` (InputStream.prepareBatch); undefined when none has
   * anything to wait for, so the batch can be generated at once.
   */
  prepareInputs(time: number): Promise<void> | undefined {
    const waits: Promise<void>[] = [];
    for (const input of this.inputs) {
      const p = input.prepareBatch?.(time);
      if (p) waits.push(p);
    }
    if (waits.length === 0) return undefined;
    return Promise.all(waits).then(() => undefined);
  }

  /** The jobs of batch `time`, one per output operation that produces an RDD then, in registration order. */
  generateJobs(time: number): Job[] {
    const jobs: Job[] = [];
    for (const out of this.outputs) {
      const job = out.generateJob(time);
      if (job) jobs.push(job);
    }
    return jobs;
  }

  reportInputRecords(
    time: number,
    streamId: number,
    records: number,
    metadata?: Readonly<Record<string, unknown>>,
    facts?: InputBatchFacts,
  ): void {
    let m = this.inputRecords.get(time);
    if (!m) this.inputRecords.set(time, (m = new Map()));
    m.set(streamId, {
      inputStreamId: streamId,
      numRecords: records,
      ...(metadata ? { metadata } : {}),
      ...(facts?.bytes !== undefined ? { numBytes: facts.bytes } : {}),
      ...(facts?.backlog !== undefined ? { backlog: facts.backlog } : {}),
    });
  }

  inputRecordsAt(time: number): number {
    let n = 0;
    for (const c of this.inputRecords.get(time)?.values() ?? []) n += c.numRecords;
    return n;
  }

  /** Each input's contribution to batch `time`, by stream id. */
  inputInfoAt(time: number): Record<number, StreamInputInfo> {
    return Object.fromEntries(this.inputRecords.get(time) ?? []);
  }

  /** The inputs' bytes and backlog of batch `time`, summed; a figure no input gave is absent. */
  inputFactsAt(time: number): InputBatchFacts {
    const out: InputBatchFacts = {};
    for (const f of this.inputRecords.get(time)?.values() ?? []) {
      if (f.numBytes !== undefined) out.bytes = (out.bytes ?? 0) + f.numBytes;
      if (f.backlog) {
        const b = (out.backlog ??= {});
        for (const k of ['records', 'bytes', 'files'] as const) {
          const v = f.backlog[k];
          if (v !== undefined) b[k] = (b[k] ?? 0) + v;
        }
      }
    }
    return out;
  }

  /** The keys of every stateful stream's latest state, in memory and only on disk (listener figures). */
  stateKeyCounts(): StateKeyCounts {
    const out: StateKeyCounts = { inMemory: 0, onDisk: 0 };
    for (const s of this.streams) {
      const counts = (s as Partial<Checkpointable>).stateKeys?.();
      if (counts === undefined) continue;
      out.inMemory += counts.inMemory;
      out.onDisk += counts.onDisk;
    }
    return out;
  }

  /** Forget batches older than each stream needs, after batch `time` completed. */
  clearMetadata(time: number): void {
    for (const out of this.outputs) out.clearMetadata(time);
    for (const input of this.inputs) input.clearMetadata(time);
    for (const t of this.inputRecords.keys()) if (t <= time) this.inputRecords.delete(t);
  }
}
