/**
 * An error and the errors it wraps, outermost first: `cause`, or kafkajs' `originalError`,
 * followed at most `depth` steps (stopping at a loop), with an AggregateError's `errors`
 * (e.g. one per address a connect tried) right after it.
 */
export function causeChain(err: unknown, depth = 8): unknown[] {
  const out: unknown[] = [];
  let cur: unknown = err;
  for (let i = 0; i < depth && cur !== undefined && cur !== null && !out.includes(cur); i++) {
    out.push(cur);
    if (cur instanceof AggregateError) out.push(...cur.errors);
    if (typeof cur !== 'object') break;
    const e = cur as { cause?: unknown; originalError?: unknown };
    cur = e.cause ?? e.originalError;
  }
  return out;
}
