/**
 * What one slide of a window with an inverse function changed, kept until the checkpoint that
 * holds it takes it. `S` is how the store keeps a parent batch reduced by key (a slice).
 */
export interface SlideLog<S> {
  /** The slide's time: the window `(time - windowDuration, time]`. */
  readonly time: number;
  /** The batch whose checkpoint holds the slide (see SlideLogs.batchOf). */
  readonly batch: number;
  /** Parent batches the slide took from the parent: slices no checkpoint holds yet. */
  readonly entered: Map<number, S>;
  /** Batches it let go (left the window, or saved ahead and taken by no window), with their slices where the store keeps them. */
  readonly removed: Map<number, S | undefined>;
}

/** The checkpoint of one batch, as far as the slides go. */
export interface TakenSlides<S, L> {
  /** The logs the checkpoint holds, oldest first, and those after it (slides made ahead of the batch). */
  taken: L[];
  later: L[];
  /** The window's time as of the batch (undefined: before the first slide). */
  slide: number | undefined;
  /** Slices put (entered from the parent and still inside) and deleted by the slides taken. */
  puts: Map<number, S>;
  deletes: number[];
}

/**
 * The slides of a window with an inverse function that no checkpoint holds yet, one log each —
 * the window's counterpart of a state stream's remembered versions and change log
 * (src/state/StatefulDStream.ts, ChangeLog.ts): each batch's checkpoint must hold the window as
 * of that batch, while the window may have slid past it. An action in a `transform` reads the
 * window when its batch is generated, and batches can be generated before the ones before them
 * have run and checkpointed (a ManualClock jump, catching up, a slow job): the slides then run
 * ahead of the checkpoints.
 *
 * When things happen: a slide adds its log (`add`, after every user function of it succeeded);
 * the checkpoint of batch `time` saves the parent batches after its window that a later slide
 * already took (`takeAhead`), and takes the logs it holds (`take`); a restore starts over (`reset`).
 */
export class SlideLogs<S, L extends SlideLog<S>> {
  private logs: L[] = [];
  /** The window's time the last checkpoint described, and that checkpoint's batch. */
  private slide: number | undefined;
  private checkpointed = -Infinity;

  /**
   * The batch whose checkpoint holds the slide at `time`, made while batch `trigger` was
   * generated or prepared: its own — unless that one was checkpointed already (the batch did
   * not run: skipped at a restart), then `trigger`'s — and never before the slide logged last
   * (a checkpoint holds a slide with every slide before it).
   */
  batchOf(time: number, trigger: number): number {
    const own = time > this.checkpointed ? time : trigger;
    const last = this.logs[this.logs.length - 1];
    return last === undefined ? own : Math.max(own, last.batch);
  }

  add(log: L): void {
    this.logs.push(log);
  }

  /** The window's time as of batch `time`; `current` when no slide is ahead of it. */
  slideAt(time: number, current: number | undefined): number | undefined {
    let slide: number | undefined;
    for (const log of this.logs) {
      if (log.batch > time) return slide ?? this.slide;
      slide = log.time;
    }
    return current;
  }

  /**
   * Parent batch `t`, after the window of the checkpoint being made but already taken from the
   * parent by a slide ahead of it: its slice, saved by this checkpoint (a job resumed from it
   * computes no parent batch up to there) — and so no longer by that slide's.
   */
  takeAhead(t: number): S | undefined {
    for (const log of this.logs) {
      const slice = log.entered.get(t);
      if (slice === undefined) continue;
      log.entered.delete(t);
      return slice;
    }
    return undefined;
  }

  /** The slides the checkpoint of batch `time` holds, taken; `current`: the window's time now. */
  take(time: number, current: number | undefined): TakenSlides<S, L> {
    const slide = this.slideAt(time, current);
    let n = 0;
    while (n < this.logs.length && this.logs[n]!.batch <= time) n++;
    const taken = this.logs.splice(0, n);
    const puts = new Map<number, S>();
    const deletes: number[] = [];
    for (const log of taken) for (const [t, s] of log.entered) puts.set(t, s);
    for (const log of taken) {
      // A batch that entered and left between two checkpoints was never saved.
      for (const t of log.removed.keys()) if (!puts.delete(t)) deletes.push(t);
    }
    this.slide = slide;
    this.checkpointed = Math.max(this.checkpointed, time);
    return { taken, later: this.logs, slide, puts, deletes };
  }

  /** After a restore: the checkpoint of batch `checkpointed` holds the window at `slide`. */
  reset(slide: number | undefined, checkpointed: number): void {
    this.logs = [];
    this.slide = slide;
    this.checkpointed = checkpointed;
  }
}
