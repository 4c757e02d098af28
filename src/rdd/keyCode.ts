import { encodeStructuredKey } from './keys.js';

/**
 * A key as a JS Map key that compares as state keys do: primitives as they are (SameValueZero),
 * structured keys by their encoded contents (prefixed "\0", which no primitive string starts
 * with once a leading "\0" of a string is doubled).
 */
export function codeOf(k: unknown): unknown {
  if (typeof k === 'object' && k !== null) return '\0' + encodeStructuredKey(k);
  if (typeof k === 'string' && k.charCodeAt(0) === 0) return '\0' + k; // never "\0[" or "\0{"
  return k;
}
