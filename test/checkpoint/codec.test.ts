import { describe, expect, it } from 'vitest';
import { decodeKey, decodeValue, encodeKey, encodeValue, type StateKey } from '../../src/checkpoint/index.js';

describe('checkpoint key encoding', () => {
  it('tags the type, so number 1 and string "1" differ', () => {
    expect(encodeKey(1)).not.toBe(encodeKey('1'));
    expect(encodeKey(true)).not.toBe(encodeKey('true'));
    expect(encodeKey(null)).not.toBe(encodeKey(undefined));
    expect(encodeKey(1n)).not.toBe(encodeKey(1));
    expect(encodeKey(['1'])).not.toBe(encodeKey([1]));
    expect(encodeKey('a')).toBe('sa');
    expect(encodeKey(1)).toBe('n1');
  });

  it('encodes tuple keys by content, and plain objects independently of insertion order', () => {
    expect(encodeKey(['fr', 'paris'])).toBe(encodeKey(['fr', 'paris']));
    expect(encodeKey(['fr', 'paris'])).not.toBe(encodeKey(['paris', 'fr']));
    expect(encodeKey({ a: 1, b: 'x' })).toBe(encodeKey({ b: 'x', a: 1 }));
    expect(encodeKey({ a: 1 })).not.toBe(encodeKey({ a: '1' }));
  });

  it('has no collisions between structures whose JSON would look alike', () => {
    const keys: StateKey[] = [
      'a,b',
      ['a,b'],
      ['a', 'b'],
      [['a', 'b']],
      ['a', ['b']],
      '["sa","sb"]',
      'a["sa"]',
      { 0: 'a', 1: 'b' },
      [1, '1'],
      ['1', 1],
      [],
      {},
      '',
      [''],
      [null],
      [undefined],
    ];
    const codes = keys.map(encodeKey);
    expect(new Set(codes).size).toBe(keys.length);
  });

  it('round-trips every supported key', () => {
    const keys: StateKey[] = [
      'word',
      '',
      'with/slash and \u0000 nul',
      'lone \ud800 surrogate',
      'emoji 😀',
      0,
      -1.5,
      1e300,
      Number.POSITIVE_INFINITY,
      Number.NaN,
      12345678901234567890n,
      true,
      false,
      null,
      undefined,
      ['fr', 'paris'],
      ['fr', 1, true, null, ['nested', 2]],
      { country: 'fr', city: 'paris' },
      { z: [1, { y: 'x' }] },
    ];
    for (const k of keys) expect(decodeKey(encodeKey(k))).toEqual(k);
    expect(decodeKey(encodeKey('lone \ud800 surrogate'))).toBe('lone \ud800 surrogate');
  });

  it('treats -0 like 0, as a JS Map does', () => {
    expect(encodeKey(-0)).toBe(encodeKey(0));
  });

  it('rejects keys that do not compare by value', () => {
    expect(() => encodeKey(new Date(0) as unknown as StateKey)).toThrow(/unsupported key type Date/);
    expect(() => encodeKey((() => 1) as unknown as StateKey)).toThrow(/unsupported key type function/);
    expect(() => encodeKey(new Map() as unknown as StateKey)).toThrow(/unsupported key type Map/);
  });
});

describe('checkpoint value encoding', () => {
  const roundTrip = (v: unknown): unknown => decodeValue(encodeValue(v));

  it('round-trips numbers exactly, -0 and NaN included', () => {
    for (const n of [0, 1, -1.25, 1e-300, Number.MAX_VALUE, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(roundTrip(n)).toBe(n);
    }
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(Number.isNaN(roundTrip(Number.NaN))).toBe(true);
  });

  it('round-trips JSON values and what JSON loses (undefined, Map, Set, Date, holes, -0 inside)', () => {
    const values: unknown[] = [
      'text',
      'lone \udc00',
      true,
      null,
      [1, 2, [3, [4]]],
      { count: 3, sum: 10.5, tags: ['a'] },
      undefined,
      [1, undefined, 3],
      { a: undefined },
      new Map<unknown, unknown>([
        ['a', 1],
        [2, [3]],
      ]),
      new Set([1, 'x']),
      new Date(1_500_000_000_000),
      [new Map([[1, new Set([2])]])],
      { nested: { deeper: [new Date(0), undefined] } },
      [-0],
      12345678901234567890n,
      new Uint8Array([1, 2, 3]),
    ];
    for (const v of values) expect(roundTrip(v)).toEqual(v);
    // eslint-disable-next-line no-sparse-arrays
    const holes = roundTrip([1, , 3]) as unknown[];
    expect(1 in holes).toBe(false);
    expect(Object.is((roundTrip([-0]) as number[])[0], -0)).toBe(true);
    expect(roundTrip({ a: undefined })).toHaveProperty('a');
  });

  it('uses the compact JSON form for plain values and v8 for the rest', () => {
    expect(encodeValue({ count: 3 }).toString()).toBe('{"count":3}');
    expect(encodeValue(new Map())[0]).toBe(0xff);
    expect(encodeValue(7)).toHaveLength(9);
  });

  it('fails on values that cannot be serialised', () => {
    expect(() => encodeValue(() => 1)).toThrow();
    expect(() => encodeValue({ f: () => 1 })).toThrow();
    expect(() => encodeValue(Symbol('s'))).toThrow();
  });
});
