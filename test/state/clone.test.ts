// Copy-on-write of state values: deep copies that keep prototypes; content equality.
import { describe, expect, it } from 'vitest';
import { cloneState, deepEqual } from '../../src/state/clone.js';

class Counter {
  constructor(
    public n = 0,
    public tags: string[] = [],
  ) {}
  inc(): this {
    this.n++;
    return this;
  }
}

describe('cloneState', () => {
  it('returns primitives as they are', () => {
    for (const v of [1, 'a', true, undefined, null, 10n, NaN]) expect(Object.is(cloneState(v), v)).toBe(true);
  });

  it('copies deeply, keeping prototypes, Maps, Sets, Dates, typed arrays and cycles', () => {
    const c = new Counter(2, ['x']);
    const original: Record<string, unknown> = {
      c,
      list: [1, { a: 2 }],
      map: new Map([['k', { v: 1 }]]),
      set: new Set([1, 2]),
      date: new Date(5),
      bytes: new Uint8Array([1, 2]),
      buf: Buffer.from('hi'),
    };
    original.self = original;
    const copy = cloneState(original);
    expect(copy).not.toBe(original);
    expect(copy.c).toBeInstanceOf(Counter);
    expect((copy.c as Counter).inc().n).toBe(3);
    expect(c.n).toBe(2);
    (copy.list as [number, { a: number }])[1].a = 9;
    expect((original.list as [number, { a: number }])[1].a).toBe(2);
    (copy.map as Map<string, { v: number }>).get('k')!.v = 7;
    expect((original.map as Map<string, { v: number }>).get('k')!.v).toBe(1);
    expect(copy.set).toEqual(new Set([1, 2]));
    expect(copy.date).toEqual(new Date(5));
    expect(copy.bytes).toEqual(new Uint8Array([1, 2]));
    (copy.buf as Buffer)[0] = 0;
    expect((original.buf as Buffer).toString()).toBe('hi');
    expect(Buffer.isBuffer(copy.buf)).toBe(true);
    expect(copy.self).toBe(copy);
  });
});

describe('deepEqual', () => {
  it('compares content', () => {
    expect(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] })).toBe(false);
    expect(deepEqual(new Counter(1), new Counter(1))).toBe(true);
    expect(deepEqual(new Counter(1), { n: 1, tags: [] })).toBe(false);
    expect(deepEqual(new Map([[1, { x: 1 }]]), new Map([[1, { x: 1 }]]))).toBe(true);
    expect(deepEqual(new Date(1), new Date(2))).toBe(false);
    expect(deepEqual(NaN, NaN)).toBe(true);
    expect(deepEqual([1, 2], [1, 2, 3])).toBe(false);
    const x = { v: 1 };
    expect(deepEqual(x, cloneState(x))).toBe(true);
  });
});
