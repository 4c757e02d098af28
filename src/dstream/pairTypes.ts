/**
 * The key and value types of a pair stream's element (`DStream<[K, V]>`), read from the stream's
 * own type parameter. They are the defaults of a pair operation's K and V, which follow the
 * type arguments API.md documents: `updateStateByKey<number>(…)` then means S = number with K and
 * V the stream's own, as in Scala's PairDStreamFunctions[K, V]. For an element that is not a pair
 * they are `never`, so the operation's `this` does not match.
 */
export type KeyOf<T> = T extends readonly [infer K, unknown] ? K : never;
export type ValueOf<T> = T extends readonly [unknown, infer V] ? V : never;
