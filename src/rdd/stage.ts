/**
 * Fused narrow stages (Spark's whole-stage code generation, for one process).
 *
 * A chain of element-wise operations (map, flatMap, filter, mapValues, flatMapValues) and what
 * consumes it (a push callback, an output array, or a shuffle's combining table) compile into
 * one function with one loop per partition: each user function is called from its own call
 * site, the pairs a chain makes for a shuffle are read where they are made (V8 can then keep
 * them off the heap), and no element passes through a chain of closures.
 *
 * The code is generated from the chain's *shape* only — operation kinds and the sink — never
 * from user data or user code; a chain compiles once and is reused by every batch (stageKey
 * says when chains share a compilation).
 */

import { refuseNonPair, shownElement } from './checks.js';

/** An element-wise operation a stage can fuse. */
export type NarrowOpKind = 'map' | 'flatMap' | 'filter' | 'mapValues' | 'flatMapValues';

export interface NarrowOp {
  readonly kind: NarrowOpKind;
  readonly f: (x: never) => unknown;
}

/**
 * Where a stage's output goes: `push` calls a function per element, `array` appends to an
 * array, `fold` combines `[k, v]` pairs into a shuffle table (a Map from primitive key to
 * combiner, with structured keys handed to `foldStructured`).
 */
export type SinkKind = 'push' | 'array' | 'fold';

/**
 * The fold sink's arguments: the table's primitive keys (each its combiner's slot) and the
 * combiners, and the combine functions (PairTable.ts).
 */
export interface FoldSink {
  /** The operation the user called (reduceByKey, a stream's groupByKey, …), for the error on an element that is not a pair. */
  readonly operation: string;
  readonly slots: Map<unknown, number>;
  readonly combiners: unknown[];
  /** A new primitive key with its first combiner. */
  add(key: unknown, combiner: unknown): void;
  foldStructured(key: unknown, value: unknown): void;
  readonly create: (v: unknown) => unknown;
  readonly merge: (c: unknown, v: unknown) => unknown;
}

/** A compiled stage bound to its functions and sink: `all` runs a whole partition array, `one` a single element. */
export interface BoundStage {
  all(src: readonly unknown[]): void;
  one(x: unknown): void;
}

type StageFactory = (
  fs: readonly ((x: never) => unknown)[],
  sink: unknown,
  notPair: typeof refuseNonPair,
  iterable: typeof iterableResult,
) => BoundStage;

/**
 * A flatMap's result that is not an array, as an array: an iterable is copied (a Set, a string's
 * characters, a generator); anything else is refused (PySpark: "'int' object is not iterable") —
 * Array.from would make [] of a number and undefineds of `{ length: 2 }`.
 */
function iterableResult(operation: string, a: unknown): readonly unknown[] {
  if (a != null && typeof (a as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') return Array.from(a as Iterable<unknown>);
  throw new TypeError(`${operation}: the function must return an iterable (an array, a Set, a string, a generator), it returned ${shownElement(a)}`);
}

/** Compiled stages by key (see stageKey). */
const compiled = new Map<string, StageFactory>();
/** How many function-specialized stages each code text already has. */
const specialized = new Map<string, number>();
const functionIds = new WeakMap<object, number>();
let nextFunctionId = 0;
/**
 * A stage's code is specialized to its functions' identities (so each call site inside it sees
 * one target and V8 inlines it) for the first few sets of functions of the same source text;
 * further sets — closures a job re-creates every batch, many jobs of one program — share one
 * compilation, as closures of one source text behave alike.
 */
const SPECIALIZE_PER_TEXT = 4;

function idOf(f: object): number {
  let id = functionIds.get(f);
  if (id === undefined) functionIds.set(f, (id = nextFunctionId++));
  return id;
}

function stageKey(shape: string, fns: readonly object[]): string {
  const text = `${shape}\u0000${fns.map((f) => String(f)).join('\u0000')}`;
  const own = `${text}\u0000${fns.map(idOf).join(',')}`;
  if (compiled.has(own)) return own;
  const n = specialized.get(text) ?? 0;
  if (n >= SPECIALIZE_PER_TEXT) return text;
  specialized.set(text, n + 1);
  return own;
}

/** The compiled stage of this shape, bound to `ops`' functions and `sink`. */
export function bindStage(ops: readonly NarrowOp[], sinkKind: SinkKind, sink: unknown): BoundStage {
  const fs = ops.map((o) => o.f);
  const fold = sinkKind === 'fold' ? (sink as FoldSink) : undefined;
  const shape = `${ops.map((o) => o.kind).join(',')}>${sinkKind}`;
  const key = stageKey(shape, fold ? [...fs, fold.create, fold.merge] : fs);
  let factory = compiled.get(key);
  if (factory === undefined) compiled.set(key, (factory = compile(ops, sinkKind)));
  return factory(fs, sink, refuseNonPair, iterableResult);
}

/** The body consuming element `x`, after the sink's set-up; nested blocks, one per operation. */
function body(ops: readonly NarrowOp[], sinkKind: SinkKind, level: number): string {
  const x = `x${level}`;
  const next = `x${level + 1}`;
  if (level === ops.length) {
    switch (sinkKind) {
      case 'push':
        return `push(${x});`;
      case 'array':
        return `out.push(${x});`;
      case 'fold':
        return (
          // An element that is no pair fails here, naming the operation, not as key undefined.
          `if (!Array.isArray(${x}) || ${x}.length !== 2) notPair(sink.operation, ${x});` +
          `const k = ${x}[0], v = ${x}[1];` +
          `if (typeof k === 'object' && k !== null) sink.foldStructured(k, v);` +
          // One hash lookup a value: the key's slot, whose combiner is replaced in place.
          `else { const s = slots.get(k); if (s !== undefined) combiners[s] = merge(combiners[s], v);` +
          ` else sink.add(k, create(v)); }`
        );
    }
  }
  const f = `f${level}`;
  const rest = body(ops, sinkKind, level + 1);
  const kind = ops[level]!.kind;
  // A flatMap's result is iterated as an array; other iterables are copied into one first, and
  // anything else is refused (the array test stays first: the common case pays nothing more).
  const each = (src: string, element: string): string =>
    `const a${level} = ${src}; const l${level} = Array.isArray(a${level}) ? a${level} : iterable('${kind}', a${level});` +
    `for (let j${level} = 0; j${level} < l${level}.length; j${level}++) { const ${next} = ${element}; ${rest} }`;
  // The pair operations read x[0] and x[1] of an element only once it is a pair.
  const pair = `if (!Array.isArray(${x}) || ${x}.length !== 2) notPair('${kind}', ${x});`;
  switch (kind) {
    case 'map':
      return `{ const ${next} = ${f}(${x}); ${rest} }`;
    case 'filter':
      return `if (${f}(${x})) { const ${next} = ${x}; ${rest} }`;
    case 'mapValues':
      return `{ ${pair} const ${next} = [${x}[0], ${f}(${x}[1])]; ${rest} }`;
    case 'flatMap':
      return `{ ${each(`${f}(${x})`, `l${level}[j${level}]`)} }`;
    case 'flatMapValues':
      return `{ ${pair} ${each(`${f}(${x}[1])`, `[${x}[0], l${level}[j${level}]]`)} }`;
  }
}

function compile(ops: readonly NarrowOp[], sinkKind: SinkKind): StageFactory {
  const fns = ops.map((_, i) => `const f${i} = fs[${i}];`).join(' ');
  const sink =
    sinkKind === 'push'
      ? 'const push = sink;'
      : sinkKind === 'array'
        ? 'const out = sink;'
        : 'const slots = sink.slots, combiners = sink.combiners, create = sink.create, merge = sink.merge;';
  const each = body(ops, sinkKind, 0);
  const source =
    `'use strict'; ${fns} ${sink}` +
    `return {` +
    ` all(src) { for (let i = 0, n = src.length; i < n; i++) { const x0 = src[i]; ${each} } },` +
    ` one(x0) { ${each} },` +
    `};`;
  return new Function('fs', 'sink', 'notPair', 'iterable', source) as StageFactory;
}
