import { DStream } from '../dstream/DStream.js';
import type { Duration } from '../util/duration.js';
import { windowSpec } from './windowArgs.js';

/**
 * A stream computed, every `slideDuration`, from the batches of one parent inside the last
 * `windowDuration`. The durations are checked before the stream joins the graph, so a rejected
 * call leaves nothing behind; the parent remembers its batches for as long as a window reaches back.
 */
export abstract class SlidingDStream<T, U> extends DStream<U> {
  readonly windowDuration: Duration;
  private readonly slide: Duration;

  constructor(
    protected readonly parent: DStream<T>,
    windowDuration: Duration,
    slideDuration: Duration | undefined,
    operation: string,
  ) {
    const spec = windowSpec(parent as DStream<unknown>, windowDuration, slideDuration, operation);
    super(parent.graph);
    this.windowDuration = spec.windowDuration;
    this.slide = spec.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent as DStream<unknown>];
  }

  get slideDuration(): Duration {
    return this.slide;
  }

  protected override get parentRememberDuration(): Duration | undefined {
    return (this.rememberDuration ?? this.slide) + this.windowDuration;
  }

  /**
   * Where a window with state and none yet starts sliding (its first slide is the next time on a
   * grid of `step`): the zero time, or after a restart the last time on that grid the checkpoint
   * covers — the parent's batches up to there are never computed again.
   */
  protected stateStart(step: Duration): number {
    const zero = this.zeroTime!;
    const restored = this.graph.recoveredTime;
    if (restored === undefined || restored <= zero) return zero;
    return zero + Math.floor((restored - zero) / step) * step;
  }
}
