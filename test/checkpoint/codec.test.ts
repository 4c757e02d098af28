import { describe, expect, it } from 'vitest';
import {
  decodeBinaryValue,
  decodeKey,
  decodeValue,
  encodeBinaryValue,
  encodeKey,
  encodeValue,
  type StateKey,
} from '../../src/checkpoint/index.js';

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

const codecs = [
  { name: 'text (state, slices, meta)', encode: encodeValue, decode: (x: unknown) => decodeValue(x as string) },
  { name: 'binary (blobs)', encode: encodeBinaryValue, decode: (x: unknown) => decodeBinaryValue(x as Buffer) },
];

describe.each(codecs)('checkpoint value encoding: $name', ({ encode, decode }) => {
  const roundTrip = (v: unknown): unknown => decode(encode(v));

  it('round-trips numbers exactly, -0 and NaN included', () => {
    for (const n of [0, 1, -1.25, 1e-300, 0.1 + 0.2, Number.MAX_VALUE, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(roundTrip(n)).toBe(n);
    }
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(Number.isNaN(roundTrip(Number.NaN))).toBe(true);
  });

  it('round-trips JSON values and what JSON loses (undefined, Map, Set, Date, holes, -0 inside)', () => {
    const values: unknown[] = [
      'text',
      '',
      '~ starts like the v8 marker',
      'lone \udc00',
      'nul \u0000 and high \u00ff bytes',
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
      new Uint8Array([0, 1, 2, 255]),
      Buffer.from([0xff, 0x00, 0x80]),
      { text: 'é😀', bytes: new Uint8Array(300).fill(200) },
    ];
    for (const v of values) expect(roundTrip(v)).toEqual(v);
    // eslint-disable-next-line no-sparse-arrays
    const holes = roundTrip([1, , 3]) as unknown[];
    expect(1 in holes).toBe(false);
    expect(Object.is((roundTrip([-0]) as number[])[0], -0)).toBe(true);
    expect(roundTrip({ a: undefined })).toHaveProperty('a');
  });

  it('fails on values that cannot be serialised', () => {
    expect(() => encode(() => 1)).toThrow();
    expect(() => encode({ f: () => 1 })).toThrow();
    expect(() => encode(Symbol('s'))).toThrow();
  });
});

describe('checkpoint value encoding forms', () => {
  it('stores plain values as JSON text and the rest through v8', () => {
    expect(encodeValue({ count: 3 })).toBe('{"count":3}');
    expect(encodeValue(42)).toBe('42');
    expect(encodeValue('~x')).toBe('"~x"');
    expect(encodeValue(new Map()).startsWith('~')).toBe(true);
    expect(encodeBinaryValue(7)).toHaveLength(9);
    expect(encodeBinaryValue({ count: 3 }).toString()).toBe('{"count":3}');
    expect(encodeBinaryValue(new Map())[0]).toBe(0xff);
  });
});
