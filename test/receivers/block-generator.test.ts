// BlockGenerator: what a receiver stores becomes blocks in order, whatever the sizes of its
// stores, and a block never changes after a store returns (the caller may reuse its array).
import { describe, expect, it } from 'vitest';
import { BlockGenerator, type Block } from '../../src/receivers/BlockGenerator.js';

function generator(): { gen: BlockGenerator<number>; blocks: Block<number>[] } {
  const blocks: Block<number>[] = [];
  const gen = new BlockGenerator<number>(1e9, 5, (b, settle) => {
    blocks.push(b);
    settle.resolve();
  });
  return { gen, blocks };
}

describe('BlockGenerator', () => {
  it('keeps the order of small and large stores, parts of arrays included, in numbered blocks', () => {
    const { gen, blocks } = generator();
    const all = Array.from({ length: 1000 }, (_, i) => i);
    gen.add(all, 0, 3); // small: pushed
    gen.add(all, 3, 103); // large: copied whole
    gen.add(all, 103, 104);
    gen.add(all, 104, 104); // nothing
    gen.add(all, 104, 600);
    expect(gen.buffered).toBe(600);
    gen.cut();
    gen.add(all, 600, 1000);
    gen.cut();
    gen.cut(); // empty: no block
    expect(blocks.map((b) => b.id)).toEqual([5, 6]);
    expect(blocks[0]!.records).toEqual(all.slice(0, 600));
    expect(blocks[1]!.records).toEqual(all.slice(600));
    expect(gen.buffered).toBe(0);
  });

  it('a block does not change when the stored array is changed or reused afterwards', () => {
    const { gen, blocks } = generator();
    const big = Array.from({ length: 100 }, (_, i) => i);
    const small = [1, 2];
    gen.add(big, 0, big.length);
    gen.add(small, 0, small.length);
    big.fill(-1);
    small.length = 0;
    small.push(-1, -1);
    gen.cut();
    expect(blocks[0]!.records).toEqual([...Array.from({ length: 100 }, (_, i) => i), 1, 2]);
  });

  it('a block of many thousands of stores of every size holds each record once, in order', () => {
    const { gen, blocks } = generator();
    const expected: number[] = [];
    let next = 0;
    for (let i = 0; i < 20_000; i++) {
      const n = i % 3 === 0 ? 40 : (i % 5) + 1; // alternating large and small stores
      const items = Array.from({ length: n }, () => next++);
      gen.add(items, 0, n);
      expected.push(...items);
    }
    gen.stop();
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.records).toEqual(expected);
  });
});
