import { encodeStructuredKey, partitionOf } from './keys.js';
import type { FoldSink } from './stage.js';

/**
 * A shuffle's combining table whose entries are the result pairs themselves: `[key, combiner]`
 * arrays, folded in place and handed out as the shuffled RDD's elements without a copy (the
 * table is private to one shuffle, so nothing else sees them change). A new pair is placed in
 * its output partition (by key hash, Spark's HashPartitioner) when it is made, while its key is
 * at hand, rather than in a second pass over the table. Keys compare like KeyMap's (keys.ts);
 * each partition holds its primitive keys, then its structured keys, each in insertion order.
 */
export class PairTable<K, C> {
  private readonly prim = new Map<unknown, [K, C]>();
  private structured: Map<string, [K, C]> | undefined;
  private readonly parts: [K, C][][];

  constructor(private readonly numPartitions: number) {
    this.parts = Array.from({ length: numPartitions }, () => []);
  }

  /** Fold `value` into `key`'s pair: `create(value)` for a new key, else `merge(old, value)`. */
  fold<V>(key: K, value: V, create: (v: V) => C, merge: (c: C, v: V) => C): void {
    if (typeof key === 'object' && key !== null) {
      const map = (this.structured ??= new Map());
      const code = encodeStructuredKey(key);
      const e = map.get(code);
      if (e === undefined) map.set(code, [key, create(value)]);
      else e[1] = merge(e[1], value);
      return;
    }
    const e = this.prim.get(key);
    if (e === undefined) this.place(key, create(value));
    else e[1] = merge(e[1], value);
  }

  /** A new primitive key's pair: into the table and its partition. */
  private place(key: K, value: C): void {
    const pair: [K, C] = [key, value];
    this.prim.set(key, pair);
    this.parts[partitionOf(key, this.numPartitions)]!.push(pair);
  }

  /** This table as a fused stage's sink: the primitive-key fold runs inline in the stage's loop. */
  sink<V>(create: (v: V) => C, merge: (c: C, v: V) => C): FoldSink {
    return {
      prim: this.prim as Map<unknown, [unknown, unknown]>,
      place: (key, value) => this.place(key as K, value as C),
      foldStructured: (key, value) => this.fold(key as K, value as V, create, merge),
      create: create as (v: unknown) => unknown,
      merge: merge as (c: unknown, v: unknown) => unknown,
    };
  }

  /** The pairs by partition; ends the table (structured keys join their partitions now). */
  partitions(): [K, C][][] {
    if (this.structured) {
      for (const e of this.structured.values()) this.parts[partitionOf(e[0], this.numPartitions)]!.push(e);
      this.structured = undefined;
    }
    return this.parts;
  }
}
