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

/** An error and its causes, one line: "what failed: why <- why that". */
export function describeFailure(e: unknown): string {
  const msgs: string[] = [];
  for (const x of causeChain(e)) {
    const m = x instanceof Error ? x.message : String(x);
    if (m !== '' && !msgs.some((p) => p.includes(m))) msgs.push(m);
  }
  return msgs.join(' <- ').replace(/\s*\n\s*/g, ' ');
}

/**
 * Whether the engine logs a failure as one line (describeFailure) instead of with its stack:
 * under `dstreams run` (DSTREAMS_RUN=1), which reports failures on one line, unless
 * DSTREAMS_DEBUG=1 asks for the stacks.
 */
export function oneLineFailures(): boolean {
  return process.env.DSTREAMS_RUN === '1' && process.env.DSTREAMS_DEBUG !== '1';
}
