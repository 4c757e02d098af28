// RDD partition counts are checked at the call, as Spark's require: repartition/coalesce to 0, a
// negative or NaN count throw instead of giving an RDD of no partitions whose data is lost.
import { describe, expect, it } from 'vitest';
import { ManualClock, RDD, StreamingContext } from '../../src/index.js';

describe('RDD partition-count arguments', () => {
  const r = RDD.fromArray([1, 2, 3, 4, 5], 2);

  it('repartition and coalesce refuse 0, negative, fractional and NaN counts at the call', () => {
    for (const n of [0, -1, 2.5, NaN]) {
      expect(() => r.repartition(n), `repartition(${n})`).toThrow(`numPartitions must be a positive integer, got ${n}`);
      expect(() => r.coalesce(n), `coalesce(${n})`).toThrow(`numPartitions must be a positive integer, got ${n}`);
    }
    expect(r.repartition(3).glom().collect()).toEqual([[1], [2, 3], [4, 5]]);
    expect(r.coalesce(1).collect()).toEqual([1, 2, 3, 4, 5]);
    expect(r.coalesce(7).getNumPartitions()).toBe(2); // no shuffle: never more partitions
  });

  it('a batch whose transform coalesces to 0 partitions fails, instead of coming out empty', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const seen: number[][] = [];
    ssc
      .queueStream<number>([[1, 2, 3]])
      .transform((rdd) => rdd.coalesce(0))
      .foreachRDD((rdd) => void seen.push(rdd.collect()));
    await ssc.start();
    await expect(clock.advance(1000)).rejects.toThrow('numPartitions must be a positive integer, got 0');
    await ssc.stop().catch(() => undefined);
    expect(seen).toEqual([]);
  });

  it('sortBy and sortByKey: 0 partitions give one (Spark’s RangePartitioner); negative or fractional throw', () => {
    expect(r.sortBy((x) => -x, true, 0).glom().collect()).toEqual([[5, 4, 3, 2, 1]]);
    expect(RDD.empty<number>().sortBy((x) => x).getNumPartitions()).toBe(1);
    expect(() => r.sortBy((x) => x, true, -1)).toThrow(/positive integer, got -1/);
    expect(() => r.map((x): [number, number] => [x, x]).sortByKey(true, 1.5)).toThrow(/positive integer, got 1.5/);
  });

  it('the shuffles and set operations check their counts too', () => {
    const kv = r.map((x): [number, number] => [x % 2, x]);
    expect(() => kv.foldByKey(0, (a, b) => a + b, 0)).toThrow(/positive integer, got 0/);
    expect(() => kv.aggregateByKey(0, (a, b) => a + b, (a, b) => a + b, -2)).toThrow(/positive integer, got -2/);
    expect(() => kv.subtractByKey(kv, NaN)).toThrow(/positive integer, got NaN/);
    expect(() => r.subtract(r, 0)).toThrow(/positive integer, got 0/);
    expect(() => r.intersection(r, 0)).toThrow(/positive integer, got 0/);
  });

  it('the error names the method, and a count given as text as the string it is', () => {
    const two = '2' as unknown as number;
    expect(() => r.repartition(two)).toThrow("repartition: numPartitions must be a positive integer, got the string '2'");
    expect(() => r.coalesce(0)).toThrow('coalesce: numPartitions must be a positive integer, got 0');
    expect(() => r.sortBy((x) => x, true, two)).toThrow("sortBy: numPartitions must be a positive integer, got the string '2'");
    expect(() => r.map((x): [number, number] => [x, x]).partitionBy(two)).toThrow(/^partitionBy: .* got the string '2'$/);
  });
});
