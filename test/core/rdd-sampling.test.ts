// sample and takeSample as Spark: Bernoulli without replacement, Poisson with; reproducible from a
// seed (also when the sampled RDD is computed again); Spark's argument checks.
import { describe, expect, it } from 'vitest';
import { RDD } from '../../src/index.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('RDD sampling (Spark semantics)', () => {
  it('sample without replacement keeps about fraction of the elements, each at most once, in order', () => {
    // PySpark's example: 6 <= sample(False, 0.1, 81).count() <= 14 over range(100) in 4 partitions.
    const n = RDD.fromArray(range(100), 4).sample(false, 0.1, 81).count();
    expect(n).toBeGreaterThanOrEqual(6);
    expect(n).toBeLessThanOrEqual(14);
    const s = RDD.fromArray(range(10_000), 4).sample(false, 0.1, 7).collect();
    expect(s.length).toBeGreaterThan(900); // mean 1000, standard deviation 30
    expect(s.length).toBeLessThan(1100);
    expect(s).toEqual([...new Set(s)].sort((a, b) => a - b));
    expect(RDD.fromArray(range(50), 2).sample(false, 0, 1).collect()).toEqual([]);
    expect(RDD.fromArray(range(50), 2).sample(false, 1, 1).collect()).toEqual(range(50));
  });

  it('sample with replacement draws each element Poisson(fraction) times; fraction may exceed 1', () => {
    const s = RDD.fromArray(range(10_000), 4).sample(true, 2, 11).collect();
    expect(s.length).toBeGreaterThan(19_500); // mean 20000, standard deviation ~141
    expect(s.length).toBeLessThan(20_500);
    const times = new Map<number, number>();
    for (const x of s) times.set(x, (times.get(x) ?? 0) + 1);
    // Poisson(2): P(0) = e^-2 ~ 13.5% of the elements never drawn.
    expect(10_000 - times.size).toBeGreaterThan(1200);
    expect(10_000 - times.size).toBeLessThan(1500);
  });

  it('the same seed gives the same sample, also when the sampled RDD is computed again', () => {
    const r = RDD.fromArray(range(1000), 3);
    const s = r.sample(false, 0.3, 42);
    expect(s.collect()).toEqual(s.collect());
    expect(r.sample(false, 0.3, 42).collect()).toEqual(s.collect());
    expect(r.sample(false, 0.3, 43).collect()).not.toEqual(s.collect());
    const unseeded = r.sample(true, 0.5);
    expect(unseeded.collect()).toEqual(unseeded.collect());
  });

  it('sample refuses a fraction Spark refuses, at the call', () => {
    const r = RDD.fromArray(range(10));
    expect(() => r.sample(false, -0.1)).toThrow('Fraction must be nonnegative, but got -0.1');
    expect(() => r.sample(true, NaN)).toThrow(/Fraction must be nonnegative/);
    expect(() => r.sample(false, 1.5)).toThrow('Sampling fraction (1.5) must be on interval [0, 1]');
    expect(() => r.sample(true, Infinity)).toThrow(/must be finite/);
    expect(() => r.sample(false, 0.5, 1.5)).toThrow(/seed must be an integer/);
  });

  it('takeSample: PySpark’s examples; a random subset in random order; reproducible from a seed', () => {
    const r = RDD.fromArray(range(10), 2);
    expect(r.takeSample(true, 20, 1)).toHaveLength(20);
    expect(r.takeSample(false, 5, 2)).toHaveLength(5);
    expect(r.takeSample(false, 15, 3)).toHaveLength(10);
    expect([...r.takeSample(false, 15, 3)].sort((a, b) => a - b)).toEqual(range(10));
    const five = r.takeSample(false, 5, 2);
    expect(new Set(five).size).toBe(5);
    expect(five.every((x) => x >= 0 && x < 10)).toBe(true);
    expect(r.takeSample(false, 5, 2)).toEqual(five);
    expect(r.takeSample(true, 0, 1)).toEqual([]);
    expect(RDD.empty<number>().takeSample(true, 5, 1)).toEqual([]);
    expect(() => r.takeSample(false, -1)).toThrow('Negative number of elements requested');
    expect(() => r.takeSample(false, 2.5)).toThrow(/takeSample\(n\) needs an integer/);
  });
});
