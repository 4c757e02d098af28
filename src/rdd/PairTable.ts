import { encodeStructuredKey, partitionOf } from './keys.js';
import type { FoldSink } from './stage.js';

/**
 * A shuffle's combining table: primitive keys map to the slot of their combiner in an array (a
 * key's combiner is replaced with `merge(old, value)` in its slot: one hash lookup a value, where
 * a hand-written `Map` count does a get and a set), so folding a batch allocates nothing per key — no `[key, combiner]` pair that would live, and be copied by
 * the garbage collector, for the whole batch. The result pairs are made, and spread over the
 * output partitions by key hash (Spark's HashPartitioner), only when something asks for the
 * partitions; the number of keys is known without them (`size`, which `count()` of a shuffled
 * RDD reads). Keys compare like KeyMap's (keys.ts); each partition holds its primitive keys,
 * then its structured keys, each in order of first appearance.
 */
export class PairTable<K, C> {
  private readonly slots = new Map<unknown, number>();
  private combiners: C[] = [];
  private structured: Map<string, [K, C]> | undefined;
  private parts: [K, C][][] | undefined;
  /** A Map keeps 0 for -0; the first appearance of the key 0 was -0, which the result keeps. */
  private negativeZero = false;

  constructor(private readonly numPartitions: number) {}

  /** How many distinct keys the table holds: the number of result pairs. */
  get size(): number {
    if (this.parts) return this.parts.reduce((n, part) => n + part.length, 0);
    return this.slots.size + (this.structured?.size ?? 0);
  }

  /** Fold `value` into `key`'s combiner: `create(value)` for a new key, else `merge(old, value)`. */
  fold<V>(key: K, value: V, create: (v: V) => C, merge: (c: C, v: V) => C): void {
    if (typeof key === 'object' && key !== null) {
      const map = (this.structured ??= new Map());
      const code = encodeStructuredKey(key);
      const e = map.get(code);
      if (e === undefined) map.set(code, [key, create(value)]);
      else e[1] = merge(e[1], value);
      return;
    }
    const s = this.slots.get(key);
    if (s !== undefined) this.combiners[s] = merge(this.combiners[s]!, value);
    else this.add(key, create(value));
  }

  /** A new primitive key (the fold sink's `add`). */
  add(key: unknown, c: C): void {
    this.slots.set(key, this.combiners.length);
    this.combiners.push(c);
    if (key === 0 && Object.is(key, -0)) this.negativeZero = true;
  }

  /**
   * This table as a fused stage's sink: the primitive-key fold runs inline in the stage's loop.
   * `operation`: what an element that is not a pair is refused for.
   */
  sink<V>(create: (v: V) => C, merge: (c: C, v: V) => C, operation: string): FoldSink {
    return new TableSink(this as PairTable<unknown, unknown>, this.slots, this.combiners, create as never, merge as never, operation);
  }

  /** The pairs by partition, made on the first call; ends the table (later folds would be lost). */
  partitions(): [K, C][][] {
    if (this.parts) return this.parts;
    const n = this.numPartitions;
    const parts: [K, C][][] = Array.from({ length: n }, () => []);
    const combiners = this.combiners;
    // forEach: no iterator entry per key, only the result pair.
    if (n === 1) this.slots.forEach((s, k) => void parts[0]!.push([k as K, combiners[s]!]));
    else this.slots.forEach((s, k) => void parts[partitionOf(k, n)]!.push([k as K, combiners[s]!]));
    if (this.negativeZero) for (const part of parts) for (const kc of part) if (kc[0] === 0) kc[0] = -0 as K;
    if (this.structured) for (const kc of this.structured.values()) parts[partitionOf(kc[0], n)]!.push(kc);
    this.slots.clear();
    this.combiners = [];
    this.structured = undefined;
    return (this.parts = parts);
  }
}

/**
 * A table with its combine functions, as a stage's fold sink. A class, not an object of arrow
 * functions: a stage calls `add` and `foldStructured` on every batch's new sink, and methods of
 * one class are one call target, where fresh closures would deoptimise the stage once.
 */
class TableSink implements FoldSink {
  constructor(
    private readonly table: PairTable<unknown, unknown>,
    readonly slots: Map<unknown, number>,
    readonly combiners: unknown[],
    readonly create: (v: unknown) => unknown,
    readonly merge: (c: unknown, v: unknown) => unknown,
    readonly operation: string,
  ) {}

  add(key: unknown, c: unknown): void {
    this.table.add(key, c);
  }

  foldStructured(key: unknown, value: unknown): void {
    this.table.fold(key, value, this.create, this.merge);
  }
}
