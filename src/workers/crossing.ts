/**
 * What a structured clone carries between threads as it is. An object of any other class crosses
 * as a plain object, its prototype (methods, getters) gone, and a function does not cross at all:
 * where one thread keeps the instance, a pool would silently compute something else. So what
 * crosses (a task's combined pairs, a job's params) is checked first, nested values included.
 */

import { firstAltered } from '../util/plainData.js';

/** The first value a structured clone would change (util/plainData.ts): what crosses threads is checked with it. */
export { firstAltered };

/**
 * The constructors a thrown error crosses as: the standard ones (a structured clone keeps these
 * too) and AggregateError. An error of another class crosses as the nearest of them it extends.
 */
const ERROR_CONSTRUCTORS: Record<string, new (message?: string, options?: { cause?: unknown }) => Error> = {
  Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
};
const ERROR_PROTOTYPES = new Map<unknown, string>(Object.entries(ERROR_CONSTRUCTORS).map(([n, c]) => [c.prototype, n]));
ERROR_PROTOTYPES.set(AggregateError.prototype, 'AggregateError');

/** How a thrown error crosses threads: plain data the main thread makes an Error of again (`errorFromThread`). */
export interface CrossingError {
  readonly crossingError: 1;
  /** The standard constructor to make it with (ERROR_CONSTRUCTORS, or AggregateError). */
  readonly base: string;
  /** Its `name`, when the constructor's own would differ (`ParseError`, a DOMException's `InvalidCharacterError`). */
  readonly name?: string;
  readonly message: string;
  readonly stack?: string;
  /** Present when the error has a cause: the cause, crossing the same way. */
  readonly cause?: { value: unknown };
  /** An AggregateError's errors, crossing the same way. */
  readonly errors?: unknown[];
  /** Its own enumerable properties holding primitives (a Node error's `code`, `errno`, `path`, …). */
  readonly props?: Record<string, string | number | boolean | bigint | null | undefined>;
}

/** An error, this realm's or another's (a vm context's errors are not instances of this Error). */
const isError = (e: unknown): e is Error =>
  e instanceof Error || (typeof e === 'object' && e !== null && Object.prototype.toString.call(e) === '[object Error]');

/**
 * What a pool thread sends for a thrown value `e` so that the main thread gets what one thread
 * would have: a structured clone of an error keeps only the standard constructors, the message
 * and the stack — a DOMException (atob's, a DataCloneError) comes out as `{}`, a custom name is
 * lost, and an error whose cause cannot be cloned does not cross at all. So an error goes as
 * plain data (constructor, name, message, stack, cause and an AggregateError's errors, crossing
 * the same way); any other value as it is when a clone keeps it, else as its text (an Error of
 * it at the top, its String() as a cause).
 */
export function errorForThread(e: unknown): unknown {
  return crossing(e, true, new Set());
}

function crossing(e: unknown, top: boolean, seen: Set<object>): unknown {
  if (!isError(e)) {
    if (typeof e === 'symbol' || typeof e === 'function') return top ? new Error(String(e)) : String(e);
    if (typeof e !== 'object' || e === null) return e;
    let clones = firstAltered(e) === undefined;
    if (clones) {
      try {
        structuredClone(e);
      } catch {
        clones = false;
      }
    }
    if (clones) return e;
    return top ? crossing(new Error(String(e)), true, seen) : String(e);
  }
  if (seen.has(e) || seen.size > 32) return String(e);
  seen.add(e);
  let base = 'Error';
  for (let p: unknown = Object.getPrototypeOf(e); p !== null && p !== undefined; p = Object.getPrototypeOf(p)) {
    const found = ERROR_PROTOTYPES.get(p);
    if (found !== undefined) {
      base = found;
      break;
    }
  }
  let name: string | undefined;
  let message = '';
  let stack: string | undefined;
  try {
    name = String(e.name);
    message = String(e.message);
    stack = typeof e.stack === 'string' ? e.stack : undefined;
  } catch {
    // a getter that throws: what was read so far
  }
  const out: { -readonly [k in keyof CrossingError]: CrossingError[k] } = { crossingError: 1, base, message };
  if (name !== undefined && name !== base) out.name = name;
  if (stack !== undefined) out.stack = stack;
  if ('cause' in e) out.cause = { value: crossing(e.cause, false, seen) };
  if (e instanceof AggregateError && Array.isArray(e.errors)) out.errors = e.errors.map((x: unknown) => crossing(x, false, seen));
  for (const k of Object.keys(e)) {
    if (k === 'name' || k === 'message' || k === 'stack' || k === 'cause' || k === 'errors') continue;
    const v = (e as unknown as Record<string, unknown>)[k];
    if (v === null || ['string', 'number', 'boolean', 'bigint', 'undefined'].includes(typeof v)) {
      (out.props ??= {})[k] = v as string | number | boolean | bigint | null | undefined;
    }
  }
  return out;
}

const isCrossingError = (x: unknown): x is CrossingError =>
  typeof x === 'object' &&
  x !== null &&
  (x as { crossingError?: unknown }).crossingError === 1 &&
  typeof (x as { base?: unknown }).base === 'string';

/** The main thread's side of `errorForThread`: a real Error again (other values as they came). */
export function errorFromThread(x: unknown): unknown {
  if (!isCrossingError(x)) return x;
  const options = x.cause !== undefined ? { cause: errorFromThread(x.cause.value) } : undefined;
  let e: Error;
  if (x.base === 'AggregateError') e = new AggregateError((x.errors ?? []).map(errorFromThread), x.message, options);
  else e = new (ERROR_CONSTRUCTORS[x.base] ?? Error)(x.message, options);
  if (x.name !== undefined) Object.defineProperty(e, 'name', { value: x.name, writable: true, configurable: true, enumerable: false });
  if (x.stack !== undefined) e.stack = x.stack;
  if (x.props !== undefined) Object.assign(e, x.props);
  return e;
}
