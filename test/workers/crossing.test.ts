// Errors crossing from a pool thread: what the main thread makes of what a thread sends, through
// a structured clone as postMessage does it.
import { describe, expect, it } from 'vitest';
import { errorForThread, errorFromThread } from '../../src/workers/crossing.js';

const cross = (e: unknown): unknown => errorFromThread(structuredClone(errorForThread(e)));

describe('errors crossing threads', () => {
  it('keeps the standard constructors, a custom name, the stack, a cause chain and primitive own properties', () => {
    class Custom extends RangeError {
      override name = 'Custom';
    }
    const inner = Object.assign(new TypeError('inner'), { code: 'E_INNER', errno: -2, fn: () => 1 });
    const e = new Custom('outer', { cause: inner });
    const got = cross(e) as Error;
    expect(got).toBeInstanceOf(RangeError);
    expect(got.name).toBe('Custom');
    expect(got.message).toBe('outer');
    expect(got.stack).toBe(e.stack);
    expect(String(got)).toBe(String(e));
    const cause = got.cause as Error & { code?: string; errno?: number; fn?: unknown };
    expect(cause).toBeInstanceOf(TypeError);
    expect([cause.message, cause.code, cause.errno, cause.fn]).toEqual(['inner', 'E_INNER', -2, undefined]);
  });

  it('a DOMException is an Error of its name; a cause a clone cannot carry is its text; plain data stays', () => {
    let dom: unknown;
    try {
      atob('%');
    } catch (x) {
      dom = x;
    }
    const got = cross(dom) as Error;
    expect(got).toBeInstanceOf(Error);
    expect([got.name, got.message]).toEqual([(dom as Error).name, (dom as Error).message]);
    expect((cross(new Error('o', { cause: { retry() {} } })) as Error).cause).toBe('[object Object]');
    expect((cross(new Error('o', { cause: { at: [1, 2] } })) as Error).cause).toEqual({ at: [1, 2] });
    expect(cross('a string')).toBe('a string');
    expect(cross({ message: 'plain' })).toEqual({ message: 'plain' });
    expect(cross({ retry() {} })).toEqual(new Error('[object Object]'));
  });

  it('an AggregateError keeps its errors; a cause that cycles back ends as text', () => {
    const agg = cross(new AggregateError([new RangeError('a'), 'b'], 'both')) as AggregateError;
    expect(agg).toBeInstanceOf(AggregateError);
    expect(agg.errors).toHaveLength(2);
    expect(agg.errors[0]).toBeInstanceOf(RangeError);
    expect(agg.errors[1]).toBe('b');
    const a = new Error('a');
    a.cause = new Error('b', { cause: a });
    const got = cross(a) as Error;
    expect((got.cause as Error).cause).toBe('Error: a');
  });
});
