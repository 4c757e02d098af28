import type { RDD } from '../../rdd/RDD.js';
import type { DStream } from '../DStream.js';
import { UnaryDStream } from '../UnaryDStream.js';

export class MapValuedDStream<K, V, W> extends UnaryDStream<[K, V], [K, W]> {
  constructor(
    parent: DStream<[K, V]>,
    private readonly f: (v: V) => W,
  ) {
    super(parent);
  }

  compute(time: number): RDD<[K, W]> | undefined {
    return this.parent.getOrCompute(time)?.mapValues(this.f);
  }
}
