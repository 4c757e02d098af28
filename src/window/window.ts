import { DStream } from '../dstream/DStream.js';
import { RDD } from '../rdd/RDD.js';
import type { Duration } from '../util/duration.js';
import { parentTimes, windowSpec } from './windowArgs.js';

declare module '../dstream/DStream.js' {
  interface DStream<T> {
    /**
     * Every `slideDuration` (default: this stream's slide), one RDD holding the batches of the last
     * `windowDuration`: the union of this stream's RDDs in `(time - windowDuration, time]`, oldest first.
     */
    window(windowDuration: Duration, slideDuration?: Duration): DStream<T>;
  }
}

/** Spark's WindowedDStream: at each slide, the union of the parent's RDDs still inside the window. */
export class WindowedDStream<T> extends DStream<T> {
  readonly windowDuration: Duration;
  private readonly slide: Duration;

  constructor(
    private readonly parent: DStream<T>,
    windowDuration: Duration,
    slideDuration?: Duration,
  ) {
    // Checked before the stream joins the graph.
    const spec = windowSpec(parent as DStream<unknown>, windowDuration, slideDuration, 'window');
    super(parent.graph);
    this.windowDuration = spec.windowDuration;
    this.slide = spec.slideDuration;
    // A parent batch belongs to several windows: compute it once.
    parent.persist();
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent as DStream<unknown>];
  }

  get slideDuration(): Duration {
    return this.slide;
  }

  /** The parent keeps its batches for as long as a window still reaches back to them. */
  protected override get parentRememberDuration(): Duration | undefined {
    return (this.rememberDuration ?? this.slide) + this.windowDuration;
  }

  compute(time: number): RDD<T> {
    const rdds: RDD<T>[] = [];
    for (const t of parentTimes(this.parent as DStream<unknown>, time - this.windowDuration, time)) {
      const rdd = this.parent.getOrCompute(t);
      if (rdd) rdds.push(rdd); // times at or before the zero time have none
    }
    return RDD.unionAll(rdds);
  }
}

DStream.prototype.window = function <T>(this: DStream<T>, windowDuration: Duration, slideDuration?: Duration) {
  return new WindowedDStream(this, windowDuration, slideDuration);
};
