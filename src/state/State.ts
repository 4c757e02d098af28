import { cloneState } from './clone.js';

/**
 * The state of one key, as mapWithState's function sees it (Spark's `State`): read it with
 * `exists()`, `get()` or `getOption()`, change it with `update(s)` or `remove()`. When the key is
 * timing out (`isTimingOut()`), the state can be read but no longer updated or removed.
 *
 * `get()` and `getOption()` return the key's own copy of an object state: change it in place
 * and call `update` with it to keep the change (a change without `update` is not kept, exactly
 * as it would not be in a checkpoint).
 */
export class State<S> {
  private value: S | undefined = undefined;
  private defined = false;
  /** Whether `value` is this call's own (no copy needed before handing it out). */
  private owned = true;
  private updated = false;
  private removed = false;
  private timingOut = false;

  /** Whether the key has a state. */
  exists(): boolean {
    return this.defined;
  }

  /** The state; throws when there is none (Spark's NoSuchElementException). */
  get(): S {
    if (!this.defined) throw new Error('State is not set');
    return this.read();
  }

  /** The state, or undefined when there is none. */
  getOption(): S | undefined {
    return this.defined ? this.read() : undefined;
  }

  /** Set the state. Not allowed after `remove()` or while timing out. */
  update(newState: S): void {
    if (this.removed) throw new Error('Cannot update the state after it has been removed');
    if (this.timingOut) throw new Error('Cannot update the state that is timing out');
    this.value = newState;
    this.defined = true;
    this.owned = true;
    this.updated = true;
  }

  /** Remove the key's state. Not allowed twice or while timing out. */
  remove(): void {
    if (this.timingOut) throw new Error('Cannot remove the state that is timing out');
    if (this.removed) throw new Error('Cannot remove the state that has already been removed');
    this.value = undefined;
    this.defined = false;
    this.updated = false;
    this.removed = true;
  }

  /** Whether the key has been idle for longer than the timeout and is about to be dropped. */
  isTimingOut(): boolean {
    return this.timingOut;
  }

  /** @internal Whether `update` was called (since the last wrap). */
  isUpdated(): boolean {
    return this.updated;
  }

  /** @internal Whether `remove` was called (since the last wrap). */
  isRemoved(): boolean {
    return this.removed;
  }

  /**
   * @internal Present a key's state (or none) to one call of the function. `owned` says the
   * value was written by the running batch, so no copy is needed before handing it out.
   */
  wrap(exists: boolean, value: S | undefined, owned = false): this {
    this.value = exists ? value : undefined;
    this.defined = exists;
    this.owned = owned || !exists;
    this.updated = false;
    this.removed = false;
    this.timingOut = false;
    return this;
  }

  /** @internal Present the state of a key that is timing out. */
  wrapTimingOut(value: S, owned = false): this {
    this.wrap(true, value, owned);
    this.timingOut = true;
    return this;
  }

  /**
   * @internal The value to store after the call, made this call's own: a key kept alive without
   * `update` (a timeout counts data as activity) would otherwise store the earlier value's very
   * object, which the batch's later records then get to change in place (they own what the batch
   * wrote) — under the readers of the earlier value.
   */
  ownedCurrent(): S | undefined {
    return this.defined ? this.read() : this.value;
  }

  private read(): S {
    if (!this.owned) {
      this.value = cloneState(this.value);
      this.owned = true;
    }
    return this.value as S;
  }

  toString(): string {
    return this.defined ? `State[${String(this.value)}]` : '<state not set>';
  }
}
