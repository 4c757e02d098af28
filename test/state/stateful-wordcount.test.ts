// The book's stateful word count (examples/stateful-wordcount.ts), Listing 7.8.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { generatedInput, main, statefulWordCount, updateFunc } from '../../examples/stateful-wordcount.js';
import { collect, expectBatchSets, testContext } from './helpers.js';

describe('stateful word count (Listing 7.8)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('"Lorem ipsum dolor", a pause, "Lorem ipsum dolor": counts 1, then 2', async () => {
    const ctx = testContext({ batchDuration: 30_000 });
    try {
      const out = collect(statefulWordCount(ctx.ssc.queueStream([['Lorem ipsum dolor'], [], ['Lorem ipsum dolor']])));
      await ctx.ssc.start();
      await ctx.run(3);
      expect(out.times).toEqual([30_000, 60_000, 90_000]);
      const ones: [string, number][] = [['Lorem', 1], ['ipsum', 1], ['dolor', 1]];
      expectBatchSets(out.outputs, [ones, ones, [['Lorem', 2], ['ipsum', 2], ['dolor', 2]]]);
    } finally {
      await ctx.close();
    }
  });

  it('keeps running totals over the generated input', async () => {
    const input = generatedInput(5);
    const ctx = testContext();
    try {
      const out = collect(statefulWordCount(ctx.ssc.queueStream(input.map((b) => b.slice()))));
      await ctx.ssc.start();
      await ctx.run(input.length);
      const totals = new Map<string, number>();
      input.forEach((batch, i) => {
        for (const line of batch) for (const w of line.split(' ')) totals.set(w, (totals.get(w) ?? 0) + 1);
        expectBatchSets([out.outputs[i]!], [[...totals]]);
      });
    } finally {
      await ctx.close();
    }
  });

  it("the listing's updateFunc: sum(new_values) + (last_sum or 0)", () => {
    expect(updateFunc([1, 1], undefined)).toBe(2);
    expect(updateFunc([], 3)).toBe(3);
    expect(updateFunc([1], 3)).toBe(4);
  });

  it('main runs over the generated input and prints each batch with pprint', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: unknown) => void printed.push(String(s)));
    await main({ batches: 3, batchMs: 50 });
    expect(printed).toHaveLength(3);
    for (const p of printed) expect(p).toMatch(/^-{43}\nTime: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\n-{43}\n/);
    expect(printed[0]).toContain("('Lorem', 1)");
    expect(printed[1]).toContain("('Lorem', 1)");
    expect(printed[2]).toContain("('Lorem', 2)");
    expect(printed[2]).toContain("('dolor', 2)");
  });
});
