import type { RDD } from '../rdd/RDD.js';
import { checkDuration, checkMultiple, type Duration } from '../util/duration.js';
import type { DStreamGraph } from './DStreamGraph.js';

/** Spark's default: stateful streams checkpoint every multiple of their slide that is ≥ 10 s. */
const DEFAULT_CHECKPOINT_MIN: Duration = 10_000;

/**
 * A discretized stream: a sequence of RDDs, one per slide interval. Each subclass says what it
 * depends on, how often it produces an RDD (`slideDuration`) and how it makes the RDD of a
 * batch time (`compute`). Operations live one per file in `operators/` and attach themselves
 * to this class; the pair operations are gathered in `PairDStreamFunctions.ts`.
 */
export abstract class DStream<T> {
  readonly graph: DStreamGraph;
  /** Position in the graph's creation order: stable across runs of the same program. */
  readonly id: number;
  protected readonly generatedRDDs = new Map<number, RDD<T>>();
  zeroTime: number | undefined;
  rememberDuration: Duration | undefined;
  checkpointDuration: Duration | undefined;
  /** Stateful streams set this: they need a checkpoint interval and the checkpoint directory. */
  protected mustCheckpoint = false;
  private cacheRDDs = false;

  constructor(graph: DStreamGraph) {
    graph.assertMutable(`a ${this.constructor.name}`);
    this.graph = graph;
    this.id = graph.register(this as DStream<unknown>);
  }

  abstract get dependencies(): readonly DStream<unknown>[];
  abstract get slideDuration(): Duration;
  /** The RDD of batch `time`, or undefined when this stream has none then. */
  abstract compute(time: number): RDD<T> | undefined;

  /** How long parents must remember their RDDs for this stream (windows need more). */
  protected get parentRememberDuration(): Duration | undefined {
    return this.rememberDuration;
  }

  /** A short name of the operation, used in errors and when matching checkpointed graphs. */
  get kind(): string {
    return this.constructor.name;
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  initialize(zeroTime: number): void {
    if (this.zeroTime !== undefined && this.zeroTime !== zeroTime) {
      throw new Error(`${this.kind} already initialized with zero time ${this.zeroTime}, not ${zeroTime}`);
    }
    this.zeroTime = zeroTime;
    const slide = this.slideDuration;
    if (this.mustCheckpoint && this.checkpointDuration === undefined) {
      this.checkpointDuration = slide * Math.ceil(DEFAULT_CHECKPOINT_MIN / slide);
    }
    let minRemember = slide;
    if (this.checkpointDuration !== undefined && minRemember <= this.checkpointDuration) {
      minRemember = this.rememberForCheckpoint(this.checkpointDuration);
    }
    if (this.rememberDuration === undefined || this.rememberDuration < minRemember) {
      this.rememberDuration = minRemember;
    }
    for (const dep of this.dependencies) dep.initialize(zeroTime);
  }

  /**
   * How long a stream checkpointed every `interval` remembers its RDDs at least: Spark's two
   * intervals, the lineage kept until the RDD checkpoint is written.
   */
  protected rememberForCheckpoint(interval: Duration): Duration {
    return interval * 2;
  }

  remember(duration: Duration | undefined): void {
    if (duration !== undefined && (this.rememberDuration === undefined || duration > this.rememberDuration)) {
      this.rememberDuration = duration;
    }
    for (const dep of this.dependencies) dep.remember(this.parentRememberDuration);
  }

  validateAtStart(): void {
    for (const dep of this.dependencies) dep.validateAtStart();
  }

  isTimeValid(time: number): boolean {
    if (this.zeroTime === undefined) throw new Error(`${this.kind} has not been initialized`);
    return time > this.zeroTime && (time - this.zeroTime) % this.slideDuration === 0;
  }

  /** The RDD of batch `time`: remembered if already made, else computed (and remembered). */
  getOrCompute(time: number): RDD<T> | undefined {
    const known = this.generatedRDDs.get(time);
    if (known) return known;
    if (!this.isTimeValid(time)) return undefined;
    const rdd = this.compute(time);
    if (rdd) {
      if (this.cacheRDDs) rdd.cache();
      this.generatedRDDs.set(time, rdd);
    }
    return rdd;
  }

  /** Drop RDDs older than the remember duration, after batch `time` completed. */
  clearMetadata(time: number): void {
    const horizon = time - (this.rememberDuration ?? this.slideDuration);
    for (const [t, rdd] of this.generatedRDDs) {
      if (t > horizon) continue;
      this.generatedRDDs.delete(t);
      this.forgotten(rdd);
    }
    for (const dep of this.dependencies) dep.clearMetadata(time);
  }

  /** Called with each RDD that clearMetadata drops: a stream whose RDDs keep results of their own lets them go here. */
  protected forgotten(_rdd: RDD<T>): void {}

  /** The remembered RDDs of batch times in `[fromTime, toTime]`, both ends included. */
  slice(fromTime: number, toTime: number): RDD<T>[] {
    if (this.zeroTime === undefined) throw new Error('slice() needs a started StreamingContext');
    const out: RDD<T>[] = [];
    const times = [...this.generatedRDDs.keys()].filter((t) => t >= fromTime && t <= toTime).sort((a, b) => a - b);
    for (const t of times) out.push(this.generatedRDDs.get(t)!);
    return out;
  }

  /** Keep each batch's RDD in memory once computed, so several consumers share one computation. */
  cache(): this {
    this.cacheRDDs = true;
    return this;
  }

  persist(): this {
    return this.cache();
  }

  /** How often a stateful stream writes a full copy of its state (default: ≥ 10 s, a multiple of the slide). */
  checkpoint(interval: Duration): this {
    this.graph.assertMutable('a checkpoint interval');
    checkDuration(interval, 'checkpoint interval');
    checkMultiple(interval, this.slideDuration, 'checkpoint interval', "the stream's slide duration");
    this.checkpointDuration = interval;
    // As Spark's validateAtStart: an interval with nowhere to checkpoint is refused at start().
    this.graph.requireCheckpoint(`checkpoint(${interval}) on ${this.constructor.name}`, this);
    return this;
  }

  /** The graph's context facts, for operators. */
  protected get batchDuration(): Duration {
    return this.graph.batchDuration;
  }
}
