import type { RDD } from '../rdd/RDD.js';
import { checkDuration, type Duration } from '../util/duration.js';
import { checkStateName } from '../dstream/stateName.js';
import type { State } from './State.js';
import { checkStateStore, type StateStoreOption } from '../dstream/stateStore.js';
import { synchronous } from './synchronous.js';
import { checkInitialState, checkNumPartitions } from './args.js';

/** Spark's simple mapping function: every call's result is part of the output. */
export type MappingFunction<K, V, S, M> = (key: K, value: V | undefined, state: State<S>) => M;

/** Spark's full mapping function: gets the batch time; a result of undefined adds nothing to the output. */
export type TimedMappingFunction<K, V, S, M> = (
  time: number,
  key: K,
  value: V | undefined,
  state: State<S>,
) => M | undefined;

/**
 * What mapWithState does (Spark's StateSpec): the mapping function, plus optionally the initial
 * state, the number of partitions of the state and the idle timeout of keys.
 *
 * `StateSpec.function((key, value, state) => mapped)` is Spark's simple API; a function of four
 * parameters `(time, key, value, state) => mapped | undefined` is its full API, whose undefined
 * results are left out of the output (Spark's `None`).
 */
export class StateSpec<K, V, S, M> {
  private initial: RDD<[K, S]> | ReadonlyArray<readonly [K, S]> | undefined;
  private partitions: number | undefined;
  private idleTimeout: Duration | undefined;
  private stateName: string | undefined;
  private store: StateStoreOption | undefined;

  private constructor(
    private readonly fn: TimedMappingFunction<K, V, S, M>,
    private readonly emitsUndefined: boolean,
  ) {}

  static function<K, V, S, M>(f: MappingFunction<K, V, S, M>): StateSpec<K, V, S, M>;
  static function<K, V, S, M>(f: TimedMappingFunction<K, V, S, M>): StateSpec<K, V, S, M>;
  static function<K, V, S, M>(
    f: MappingFunction<K, V, S, M> | TimedMappingFunction<K, V, S, M>,
  ): StateSpec<K, V, S, M> {
    if (typeof f !== 'function') throw new TypeError('StateSpec.function needs a mapping function');
    if (f.length >= 4) {
      const timed = f as TimedMappingFunction<K, V, S, M>;
      return new StateSpec<K, V, S, M>((time, key, value, state) => synchronous('mapWithState', timed(time, key, value, state)), false);
    }
    const simple = f as MappingFunction<K, V, S, M>;
    return new StateSpec<K, V, S, M>((_time, key, value, state) => synchronous('mapWithState', simple(key, value, state)), true);
  }

  /** The state keys start from (an RDD or an array of pairs). */
  initialState(initial: RDD<[K, S]> | ReadonlyArray<readonly [K, S]>): this {
    checkInitialState(initial, 'initialState');
    this.initial = initial;
    return this;
  }

  /** Partitions of the state (and of the mapped stream); default: the context's parallelism. */
  numPartitions(n: number): this {
    this.partitions = checkNumPartitions(n);
    return this;
  }

  /** Drop keys that received no data for longer than `idleDuration`, after one last call with `isTimingOut()`. */
  timeout(idleDuration: Duration): this {
    this.idleTimeout = checkDuration(idleDuration, 'timeout');
    return this;
  }

  /**
   * Names the state: it is checkpointed under this name, and getOrCreate restores it into a
   * changed graph (see API.md, getOrCreate).
   */
  name(n: string): this {
    this.stateName = checkStateName(n, 'StateSpec.name');
    return this;
  }

  /**
   * Where the state lives: `'memory'` (the default) or `'disk'` — keys and values in the
   * checkpoint's LevelDB store with a bounded cache of hot keys in memory, for state larger than
   * memory (docs/state-stores.md says when to switch and what it costs).
   */
  stateStore(store: StateStoreOption): this {
    this.store = checkStateStore(store, 'StateSpec.stateStore');
    return this;
  }

  /** @internal */
  getFunction(): TimedMappingFunction<K, V, S, M> {
    return this.fn;
  }

  /** @internal Whether undefined results are output (simple API) or dropped (full API). */
  outputsUndefined(): boolean {
    return this.emitsUndefined;
  }

  getInitialState(): RDD<[K, S]> | ReadonlyArray<readonly [K, S]> | undefined {
    return this.initial;
  }

  getNumPartitions(): number | undefined {
    return this.partitions;
  }

  getTimeout(): Duration | undefined {
    return this.idleTimeout;
  }

  getName(): string | undefined {
    return this.stateName;
  }

  getStateStore(): StateStoreOption | undefined {
    return this.store;
  }
}
