/**
 * The operations of pair streams (`DStream<[K, V]>`), gathered in one place as in Spark's
 * PairDStreamFunctions. Each exists only where the element type is a pair: its `this`
 * parameter is `DStream<[K, V]>`. Window and state operations on pairs live in `src/window`.
 */
import type { RDD } from '../rdd/RDD.js';
import { DStream } from './DStream.js';
import { fn, partitionsOf, stream } from './operators/args.js';
import { ShuffledDStream } from './operators/combineByKey.js';
import { FlatMapValuedDStream } from './operators/flatMapValues.js';
import { MapValuedDStream } from './operators/mapValues.js';
import { TransformedDStream } from './operators/transform.js';
import { appendAll } from '../util/appendAll.js';
import type { KeyOf, ValueOf } from './pairTypes.js';

// The documented type arguments come first (`mapValues<W>`, `combineByKey<C>`, `join<W>`, as
// API.md gives them); K and V follow, inferred from `this`, or when type arguments are written,
// taken from the stream's own element type (pairTypes.ts).
declare module './DStream.js' {
  interface DStream<T> {
    mapValues<W, K = KeyOf<T>, V = ValueOf<T>>(this: DStream<[K, V]>, f: (v: V) => W): DStream<[K, W]>;
    flatMapValues<W, K = KeyOf<T>, V = ValueOf<T>>(this: DStream<[K, V]>, f: (v: V) => Iterable<W>): DStream<[K, W]>;
    groupByKey<K = KeyOf<T>, V = ValueOf<T>>(this: DStream<[K, V]>, numPartitions?: number): DStream<[K, V[]]>;
    reduceByKey<K = KeyOf<T>, V = ValueOf<T>>(this: DStream<[K, V]>, f: (a: V, b: V) => V, numPartitions?: number): DStream<[K, V]>;
    combineByKey<C, K = KeyOf<T>, V = ValueOf<T>>(
      this: DStream<[K, V]>,
      create: (v: V) => C,
      mergeValue: (c: C, v: V) => C,
      mergeCombiners: (a: C, b: C) => C,
      numPartitions?: number,
    ): DStream<[K, C]>;
    cogroup<W, K = KeyOf<T>, V = ValueOf<T>>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: number): DStream<[K, [V[], W[]]]>;
    join<W, K = KeyOf<T>, V = ValueOf<T>>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: number): DStream<[K, [V, W]]>;
    leftOuterJoin<W, K = KeyOf<T>, V = ValueOf<T>>(
      this: DStream<[K, V]>,
      other: DStream<[K, W]>,
      numPartitions?: number,
    ): DStream<[K, [V, W | undefined]]>;
    rightOuterJoin<W, K = KeyOf<T>, V = ValueOf<T>>(
      this: DStream<[K, V]>,
      other: DStream<[K, W]>,
      numPartitions?: number,
    ): DStream<[K, [V | undefined, W]]>;
    fullOuterJoin<W, K = KeyOf<T>, V = ValueOf<T>>(
      this: DStream<[K, V]>,
      other: DStream<[K, W]>,
      numPartitions?: number,
    ): DStream<[K, [V | undefined, W | undefined]]>;
  }
}

const proto = DStream.prototype;

proto.mapValues = function <K, V, W>(this: DStream<[K, V]>, f: (v: V) => W): DStream<[K, W]> {
  return new MapValuedDStream(this, fn('mapValues', f));
};

proto.flatMapValues = function <K, V, W>(this: DStream<[K, V]>, f: (v: V) => Iterable<W>): DStream<[K, W]> {
  return new FlatMapValuedDStream(this, fn('flatMapValues', f));
};

/** A ShuffledDStream, its arguments checked under the name of the operation the user called. */
function shuffled<K, V, C>(
  operation: string,
  stream: DStream<[K, V]>,
  create: (v: V) => C,
  mergeValue: (c: C, v: V) => C,
  mergeCombiners: (a: C, b: C) => C,
  numPartitions: number | undefined,
): DStream<[K, C]> {
  const n = partitionsOf(operation, stream as DStream<unknown>, numPartitions);
  return new ShuffledDStream(stream, create, mergeValue, mergeCombiners, n, operation);
}

proto.combineByKey = function <K, V, C>(
  this: DStream<[K, V]>,
  create: (v: V) => C,
  mergeValue: (c: C, v: V) => C,
  mergeCombiners: (a: C, b: C) => C,
  numPartitions?: number,
): DStream<[K, C]> {
  const op = 'combineByKey';
  fn(op, create, 'createCombiner');
  fn(op, mergeValue, 'mergeValue');
  return shuffled(op, this, create, mergeValue, fn(op, mergeCombiners, 'mergeCombiners'), numPartitions);
};

/** reduceByKey as part of `operation` (reduceByKeyAndWindow), which its checks and errors name. */
export function reduceByKeyAs<K, V>(operation: string, stream: DStream<[K, V]>, f: (a: V, b: V) => V, numPartitions?: number): DStream<[K, V]> {
  fn(operation, f);
  return shuffled(operation, stream, (v: V) => v, f, f, numPartitions);
}

/** groupByKey as part of `operation` (groupByKeyAndWindow), which its checks and errors name. */
export function groupByKeyAs<K, V>(operation: string, stream: DStream<[K, V]>, numPartitions?: number): DStream<[K, V[]]> {
  return shuffled<K, V, V[]>(
    operation,
    stream,
    (v) => [v],
    (c, v) => (c.push(v), c),
    appendAll,
    numPartitions,
  );
}

proto.reduceByKey = function <K, V>(this: DStream<[K, V]>, f: (a: V, b: V) => V, numPartitions?: number) {
  return reduceByKeyAs('reduceByKey', this, f, numPartitions);
};

proto.groupByKey = function <K, V>(this: DStream<[K, V]>, numPartitions?: number): DStream<[K, V[]]> {
  return groupByKeyAs('groupByKey', this, numPartitions);
};

/**
 * The joins are per-batch RDD joins of the two streams' RDDs of the same time, as in Spark (a
 * transformWith, whose errors — streams of different slides — name the join).
 */
function joined<K, V, W, R>(
  operation: string,
  left: DStream<[K, V]>,
  right: DStream<[K, W]>,
  numPartitions: number | undefined,
  join: (a: RDD<[K, V]>, b: RDD<[K, W]>, n: number) => RDD<R>,
): DStream<R> {
  stream(operation, right);
  const n = partitionsOf(operation, left as DStream<unknown>, numPartitions);
  return new TransformedDStream<R>(
    [left as DStream<unknown>, right as DStream<unknown>],
    (rdds) => join(rdds[0] as RDD<[K, V]>, rdds[1] as RDD<[K, W]>, n),
    operation,
  );
}

proto.cogroup = function <K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: number) {
  return joined('cogroup', this, other, numPartitions, (a, b, n) => a.cogroup(b, n));
};

proto.join = function <K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: number) {
  return joined('join', this, other, numPartitions, (a, b, n) => a.join(b, n));
};

proto.leftOuterJoin = function <K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: number) {
  return joined('leftOuterJoin', this, other, numPartitions, (a, b, n) => a.leftOuterJoin(b, n));
};

proto.rightOuterJoin = function <K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: number) {
  return joined('rightOuterJoin', this, other, numPartitions, (a, b, n) => a.rightOuterJoin(b, n));
};

proto.fullOuterJoin = function <K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: number) {
  return joined('fullOuterJoin', this, other, numPartitions, (a, b, n) => a.fullOuterJoin(b, n));
};
