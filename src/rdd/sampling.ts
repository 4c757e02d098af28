/**
 * Random samples of an RDD (Spark's sample and takeSample), reproducible from a seed: each
 * partition draws from its own generator seeded by (seed, partition index), so a sampled RDD
 * computed again gives the same elements. The generator is not Java's: a seed gives other
 * elements than it does in Spark, with the same distribution (Bernoulli per element without
 * replacement, Poisson with replacement; takeSample a uniformly random subset in random order).
 */
import { checkCount } from './checks.js';
import { collectAll, type Partitioned, type Push } from './partitioned.js';

/** Checks `sample`'s arguments as Spark does; the seed to use (a random one when none is given). */
export function sampleSeed(withReplacement: boolean, fraction: number, seed: number | undefined): number {
  if (!(fraction >= 0)) throw new RangeError(`Fraction must be nonnegative, but got ${fraction}`);
  if (!withReplacement && fraction > 1) throw new RangeError(`Sampling fraction (${fraction}) must be on interval [0, 1]`);
  if (fraction === Infinity) throw new RangeError(`Sampling fraction (${fraction}) must be finite`);
  return checkSeed(seed);
}

/** Partition `i` of `rdd.sample(withReplacement, fraction, seed)`. */
export function samplePartition<T>(
  rdd: Partitioned<T>,
  i: number,
  withReplacement: boolean,
  fraction: number,
  seed: number,
  push: Push<T>,
): void {
  const random = generator(seed, i);
  if (!withReplacement) return rdd.iteratePartition(i, (t) => void (random() < fraction && push(t)));
  rdd.iteratePartition(i, (t) => {
    for (let k = poisson(random, fraction); k > 0; k--) push(t);
  });
}

/** Spark's takeSample: `num` elements drawn at random (with or without replacement), in random order. */
export function takeSample<T>(rdd: Partitioned<T>, withReplacement: boolean, num: number, seed: number | undefined): T[] {
  checkCount(num, 'takeSample');
  if (num < 0) throw new RangeError('Negative number of elements requested');
  const random = generator(checkSeed(seed), -1);
  if (num === 0) return [];
  const all = collectAll(rdd);
  if (all.length === 0) return [];
  if (withReplacement) return Array.from({ length: num }, () => all[Math.floor(random() * all.length)] as T);
  const k = Math.min(num, all.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (all.length - i));
    const t = all[i] as T;
    all[i] = all[j] as T;
    all[j] = t;
  }
  all.length = k;
  return all;
}

function checkSeed(seed: number | undefined): number {
  if (seed === undefined) return Math.floor(Math.random() * 2 ** 32);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  return seed;
}

/** A uniform generator in [0, 1) (mulberry32) seeded from `seed` and a stream number. */
function generator(seed: number, stream: number): () => number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(Math.floor(seed / 2 ** 32) | 0, 0xc2b2ae35);
  h ^= Math.imul(stream + 0x632be5ab, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  let a = h ^ (h >>> 16);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Poisson(`mean`) draw (Knuth's method, in steps of at most 30 so exp(-step) stays well above 0). */
function poisson(random: () => number, mean: number): number {
  let k = 0;
  for (let left = mean; left > 0; left -= 30) {
    const limit = Math.exp(-Math.min(left, 30));
    let p = random();
    while (p > limit) {
      k++;
      p *= random();
    }
  }
  return k;
}
