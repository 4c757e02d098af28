import type { Duration } from '../util/duration.js';
import { DStream } from './DStream.js';

/** A stream computed from one parent at the parent's pace; subclasses say only what `compute` does. */
export abstract class UnaryDStream<T, U> extends DStream<U> {
  constructor(protected readonly parent: DStream<T>) {
    super(parent.graph);
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }
}
