/** The argument checks updateStateByKey and mapWithState share: partitions and the initial state. */
import { described } from '../rdd/checks.js';
import { RDD } from '../rdd/RDD.js';

/** `n` as a number of partitions; throws naming what it got otherwise. */
export function checkNumPartitions(n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`numPartitions must be a positive integer, got ${described(n)}`);
  }
  return n;
}

/** Index of the first element of `pairs` that is not a [key, state] pair, or -1. */
function firstNotPair(pairs: ReadonlyArray<unknown>): number {
  for (let i = 0; i < pairs.length; i++) {
    const e = pairs[i];
    if (!Array.isArray(e) || e.length !== 2) return i;
  }
  return -1;
}

/**
 * Checks an initial state when it is given (`what`: the argument, for the error): an RDD (checked
 * when the first batch reads it, initialPairsOf) or an array whose every element is a [key, state] pair.
 */
export function checkInitialState(initial: unknown, what: string): void {
  if (!(initial instanceof RDD) && !Array.isArray(initial)) throw new TypeError(`${what} needs an RDD or an array of [key, state] pairs`);
  if (Array.isArray(initial)) {
    const bad = firstNotPair(initial);
    if (bad >= 0) {
      throw new TypeError(`${what} needs [key, state] pairs: element ${bad} is ${described(initial[bad])}`);
    }
  }
}

/** The initial state's pairs, an RDD's collected and checked (an array was checked when given); `operation` names it in the error. */
export function initialPairsOf<K, S>(initial: RDD<[K, S]> | ReadonlyArray<readonly [K, S]>, operation: string): ReadonlyArray<readonly [K, S]> {
  if (!(initial instanceof RDD)) return initial;
  const pairs = initial.collect();
  const bad = firstNotPair(pairs);
  if (bad >= 0) {
    throw new TypeError(`${operation}: the initial state RDD must hold [key, state] pairs, its element ${bad} is ${described(pairs[bad])}`);
  }
  return pairs;
}
