/**
 * Key and value encodings of the checkpoint store.
 *
 * Keys: a stable, collision-free text form — a one-letter type tag followed by the content —
 * so that `1` and `"1"` differ and `{a: 1, b: 2}` encodes like `{b: 2, a: 1}`:
 *
 *   string      s<text>           (S<JSON> when the string holds lone surrogates, which UTF-8 cannot carry)
 *   number      n<String(n)>      (-0 encodes like 0, as JS Map / SameValueZero compares them; NaN is "nNaN")
 *   bigint      b<digits>
 *   boolean     t | f
 *   null        z
 *   undefined   u
 *   array       a<JSON array of the encoded elements>
 *   plain obj.  o<JSON array of [name, encoded value] pairs, sorted by name>
 *
 * Values: JSON text when JSON carries the value exactly (strings, booleans, null, finite
 * numbers other than -0, arrays without holes and plain objects of those); everything else
 * (undefined, Map, Set, Date, typed arrays, sparse arrays, NaN, -0, …) with `node:v8`
 * `serialize`. JSON is 4-10x faster than v8 to encode and decode small values (see
 * bench/checkpoint-store.ts); v8 is the fallback for what JSON loses. State, slices and the
 * metadata record are stored as text (see encodeValue), blobs as bytes (encodeBinaryValue).
 */

import v8 from 'node:v8';
import { firstAltered, refusedBySerialize, serialises } from '../util/plainData.js';

/** A state key: primitives, and arrays / plain objects of keys (tuple keys such as ["fr", "paris"]). */
export type StateKey =
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | readonly StateKey[]
  | { readonly [name: string]: StateKey };

export class KeyEncodingError extends Error {}

/** A value a checkpoint cannot store (a function). */
export class ValueEncodingError extends Error {}

const MAX_DEPTH = 64;
/** In a `u` regex a surrogate pair is one code point, so this matches only unpaired surrogates. */
const LONE_SURROGATE = /\p{Surrogate}/u;

function encodeKeyAt(k: unknown, depth: number): string {
  switch (typeof k) {
    case 'string':
      return LONE_SURROGATE.test(k) ? 'S' + JSON.stringify(k) : 's' + k;
    case 'number':
      return 'n' + String(k); // String(-0) === "0"
    case 'bigint':
      return 'b' + k.toString();
    case 'boolean':
      return k ? 't' : 'f';
    case 'undefined':
      return 'u';
    case 'object': {
      if (k === null) return 'z';
      if (depth >= MAX_DEPTH) throw new KeyEncodingError('key is nested too deeply');
      if (Array.isArray(k)) {
        const parts = new Array<string>(k.length);
        for (let i = 0; i < k.length; i++) parts[i] = encodeKeyAt(k[i], depth + 1);
        return 'a' + JSON.stringify(parts);
      }
      const proto = Object.getPrototypeOf(k);
      if (proto !== Object.prototype && proto !== null) {
        throw new KeyEncodingError(
          `unsupported key type ${(k as object).constructor?.name ?? 'object'}: keys must be primitives, arrays or plain objects`,
        );
      }
      const names = Object.keys(k).sort();
      const pairs = names.map((name) => [name, encodeKeyAt((k as Record<string, unknown>)[name], depth + 1)]);
      return 'o' + JSON.stringify(pairs);
    }
    default:
      throw new KeyEncodingError(`unsupported key type ${typeof k}: keys must be primitives, arrays or plain objects`);
  }
}

/** The stable text form of a state key (see the module comment). Throws KeyEncodingError for unsupported keys. */
export function encodeKey(k: StateKey): string {
  return encodeKeyAt(k, 0);
}

/** The key an encoded form (starting at `offset` in `s`) stands for. Throws on text that is not an encoded key. */
export function decodeKey(s: string, offset = 0): StateKey {
  const body = s.slice(offset + 1);
  switch (s.charCodeAt(offset)) {
    case 0x73: // s
      return body;
    case 0x6e: {
      // n
      const n = Number(body);
      if (Number.isNaN(n) && body !== 'NaN') throw new KeyEncodingError(`bad number key ${JSON.stringify(s)}`);
      return n;
    }
    case 0x53: // S
      return JSON.parse(body) as string;
    case 0x62: // b
      return BigInt(body);
    case 0x74: // t
      return true;
    case 0x66: // f
      return false;
    case 0x7a: // z
      return null;
    case 0x75: // u
      return undefined;
    case 0x61: {
      // a
      const parts = JSON.parse(body) as string[];
      if (!Array.isArray(parts)) throw new KeyEncodingError(`bad array key ${JSON.stringify(s)}`);
      return parts.map((part) => decodeKey(part));
    }
    case 0x6f: {
      // o
      const pairs = JSON.parse(body) as Array<[string, string]>;
      if (!Array.isArray(pairs)) throw new KeyEncodingError(`bad object key ${JSON.stringify(s)}`);
      const out: Record<string, StateKey> = {};
      for (const [name, enc] of pairs) {
        Object.defineProperty(out, name, { value: decodeKey(enc), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new KeyEncodingError(`bad key ${JSON.stringify(s.slice(0, 40))}`);
  }
}

const TAG_F64 = 0x01;
const TAG_V8 = 0xff;
/** Starts a text value holding v8-serialised bytes; JSON text never starts with it. */
const TEXT_V8_PREFIX = '~';
const TEXT_V8_CODE = 0x7e;

/** True when `JSON.parse(JSON.stringify(v))` gives back a value equal in every respect. */
function jsonExact(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object': {
      if (v === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          if (!(i in v) || !jsonExact(v[i], depth + 1)) return false;
        }
        return true;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype) return false;
      for (const name in v) {
        if (!jsonExact((v as Record<string, unknown>)[name], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** True when JSON carries `v` exactly (see encodeValue). */
export function isJsonExact(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (typeof v === 'string') return true;
  return jsonExact(v, 0);
}

/** Arrays up to this length are tried as arrays of numbers (e.g. mapWithState's [state, time]). */
const SHORT_ARRAY = 16;

/**
 * The JSON text of an array of finite numbers (none -0), or undefined for any other array:
 * about three times faster than checking and stringifying it the general way.
 */
function numbersText(a: readonly unknown[]): string | undefined {
  let out = '[';
  for (let i = 0; i < a.length; i++) {
    const x = a[i]; // a hole reads as undefined: not a number
    if (typeof x !== 'number' || !Number.isFinite(x) || Object.is(x, -0)) return undefined;
    out += i === 0 ? String(x) : ',' + String(x);
  }
  return out + ']';
}

/**
 * Encodes a value as text (state, slices, metadata): JSON when JSON carries it exactly, else
 * "~" + the v8-serialised bytes as latin1 characters. Text values load about twice as fast as
 * binary ones from LevelDB (no Buffer per value). An instance of a class of its own is stored,
 * with a warning (once per class): it comes back from a restart as a plain object, its methods
 * gone. Throws ValueEncodingError for a function, and v8's DataCloneError for other values that
 * cannot be serialised.
 */
export function encodeValue(v: unknown): string {
  if (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0)) return String(v);
  if (Array.isArray(v) && v.length <= SHORT_ARRAY) {
    const text = numbersText(v);
    if (text !== undefined) return text;
  }
  if (jsonExact(v, 0)) return JSON.stringify(v);
  // Only values JSON does not carry get here (plain JSON data never pays for the check).
  checkRestorable(v);
  return TEXT_V8_PREFIX + serialized(v).toString('latin1');
}

/** v8.serialize, its DataCloneError made a ValueEncodingError that says what and where. */
function serialized(v: unknown): Buffer {
  try {
    return v8.serialize(v);
  } catch (e) {
    const { path, what } = refusedBySerialize(v);
    throw new ValueEncodingError(
      `the value holds ${what}${path === '' ? '' : ` at ${path}`}, which cannot be stored in a checkpoint ` +
        `(${((e as Error).message ?? String(e)).replace(/\.$/, '')}): keep state and checkpointed values plain data ` +
        '(primitives, plain objects, arrays, Map, Set, Date, typed arrays…); await a Promise and store its result',
    );
  }
}

/**
 * What v8 serialize gives back as it was besides what a structured clone does (util/plainData.ts),
 * and Dates of a subclass (the SQL layer's DATE values), which come back Dates that their reader
 * types again.
 */
const V8_KEEPS = new Set<unknown>([Buffer.prototype, Date.prototype]);

/** The classes a warning was given for (once each). */
const warnedAbout = new Set<string>();
/**
 * Values checked so far: the walk is only for a warning, so after this many values without an
 * instance of a class of its own only top-level instances are looked for (no walk of each value).
 */
let checked = 0;
const CHECK_WHOLE_VALUES = 1000;

/**
 * Warns, once per class, when v8 would not give `v` back as it is (see encodeValue); throws for a
 * function, which cannot be stored at all.
 */
function checkRestorable(v: unknown): void {
  if (checked >= CHECK_WHOLE_VALUES) {
    const proto = typeof v === 'object' && v !== null ? (Object.getPrototypeOf(v) as unknown) : undefined;
    if (proto === undefined || proto === Object.prototype || proto === Array.prototype || proto === Map.prototype || proto === Set.prototype) return;
  }
  checked++;
  const altered = firstAltered(v, V8_KEEPS);
  if (altered === undefined) return;
  const at = altered.path === '' ? '' : ` at ${altered.path}`;
  if (altered.what.startsWith('a function')) {
    throw new ValueEncodingError(`the value holds ${altered.what}${at}: it cannot be stored in a checkpoint`);
  }
  if (warnedAbout.has(altered.what)) return;
  // A Promise, a weak collection: v8 refuses it (serialized says so), no warning before the error.
  if (!serialises(v)) return;
  warnedAbout.add(altered.what);
  console.warn(
    `dstreams: a checkpointed value holds ${altered.what}${at}: it runs as it is, but a job resumed from the checkpoint ` +
      'gets it back as a plain object, its class and methods lost. Keep state values plain data (primitives, plain ' +
      'objects, arrays, Map, Set, Date, typed arrays…) for a restart to resume exactly',
  );
}

/** Decodes a value written by encodeValue. */
export function decodeValue(s: string): unknown {
  if (s.charCodeAt(0) === TEXT_V8_CODE) return v8.deserialize(Buffer.from(s.slice(1), 'latin1'));
  return JSON.parse(s);
}

/**
 * Encodes a value as bytes (blobs, which are often binary): numbers as 0x01 + float64 LE, JSON
 * text when JSON carries the value exactly (first byte ASCII), else v8 serialisation (first
 * byte 0xFF; Buffers and typed arrays are stored as their bytes plus a small header).
 */
export function encodeBinaryValue(v: unknown): Buffer {
  if (typeof v === 'number') {
    const b = Buffer.allocUnsafe(9);
    b[0] = TAG_F64;
    b.writeDoubleLE(v, 1);
    return b;
  }
  if (jsonExact(v, 0)) return Buffer.from(JSON.stringify(v), 'utf8');
  return v8.serialize(v);
}

/** Decodes a value written by encodeBinaryValue. */
export function decodeBinaryValue(b: Uint8Array): unknown {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  switch (buf[0]) {
    case undefined:
      throw new Error('empty value');
    case TAG_F64:
      if (buf.length !== 9) throw new Error('bad number value');
      return buf.readDoubleLE(1);
    case TAG_V8:
      return v8.deserialize(buf);
    default:
      return JSON.parse(buf.toString('utf8'));
  }
}
