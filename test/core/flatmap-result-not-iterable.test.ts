// flatMap and flatMapValues iterate what the function returns: an array, or any iterable (a Set,
// a Map, a string's characters, a generator). Anything else fails the batch with a TypeError
// naming the operation and the value (PySpark: "'int' object is not iterable") — it used to be
// dropped silently (a number gave nothing, `{ length: 2 }` two undefineds).
import { describe, expect, it } from 'vitest';
import { RDD } from '../../src/index.js';
import { runBatches } from '../helpers/batches.js';

const NOT_ITERABLE: [string, unknown, string][] = [
  ['a number', 10, 'it returned 10'],
  ['a plain object', { v: 1 }, 'it returned {"v":1}'],
  ['an array-like object', { length: 2, v: 1 }, 'it returned {"length":2,"v":1}'],
  ['a boolean', true, 'it returned true'],
  ['undefined', undefined, 'it returned undefined'],
  ['null', null, 'it returned null'],
];

describe('flatMap of a function that returns something not iterable', () => {
  for (const [what, value, said] of NOT_ITERABLE) {
    it(`${what}: the batch fails naming flatMap and the value`, async () => {
      await expect(runBatches([[1, 2]], (s) => s.flatMap(() => value as never))).rejects.toThrow(
        new TypeError(`flatMap: the function must return an iterable (an array, a Set, a string, a generator), ${said}`),
      );
    });
  }

  it('flatMapValues: the batch fails naming flatMapValues', async () => {
    await expect(runBatches([[['a', 1] as [string, number]]], (s) => s.flatMapValues((v) => v as never))).rejects.toThrow(
      /^flatMapValues: the function must return an iterable .*, it returned 1$/,
    );
  });

  it("an RDD's flatMap fails the same way", () => {
    expect(() => RDD.fromArray([1, 2]).flatMap((x) => x as never).collect()).toThrow(TypeError);
    expect(() => RDD.fromArray([['a', 1] as [string, number]]).flatMapValues((v) => ({ length: v }) as never).count()).toThrow(
      /flatMapValues: the function must return an iterable/,
    );
  });

  it('also when the flatMap feeds a shuffle (the fused fold)', async () => {
    await expect(runBatches([['a b']], (s) => s.flatMap(() => 7 as never).map((w) => [w, 1] as [unknown, number]).reduceByKey((a, b) => a + b))).rejects.toThrow(
      /flatMap: the function must return an iterable .*, it returned 7/,
    );
  });
});

describe('flatMap of a function that returns an iterable', () => {
  it('arrays, Sets, Maps, strings and generators are iterated in order', async () => {
    const out = await runBatches([[1]], (s) =>
      s.flatMap((x): Iterable<unknown> => [x, x + 1])
        .flatMap((x) => new Set([x, -Number(x)]))
        .flatMap((x) => new Map([[x, 'm']]))
        .flatMap(([k]) => `${String(k)}!`)
        .flatMap(function* (ch) {
          yield ch;
        }),
    );
    expect(out).toEqual([['1', '!', '-', '1', '!', '2', '!', '-', '2', '!']]);
  });

  it('an empty result drops the element', async () => {
    expect(await runBatches([[1, 2, 3]], (s) => s.flatMap((x) => (x === 2 ? [] : [x])))).toEqual([[1, 3]]);
  });
});
