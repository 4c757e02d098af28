/** Exponential back-off for the sink's transactions. */

export interface RetryOptions {
  /**
   * Give up once this much time (ms) has passed since the first attempt of a write.
   * Default 60 000. `Infinity` retries for ever: the stream falls behind instead of failing.
   */
  maxElapsedMs?: number;
  /** Give up after this many attempts. Default unlimited (bounded by `maxElapsedMs`). */
  maxAttempts?: number;
  /** First delay (ms). Default 100. */
  initialDelayMs?: number;
  /** Largest delay between attempts (ms). Default 5 000. */
  maxDelayMs?: number;
  /** Growth factor of the delay. Default 2. */
  factor?: number;
  /** Randomise each delay in [delay/2, delay] so that many writers do not retry in step. Default true. */
  jitter?: boolean;
}

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  elapsedMs: number;
  error: unknown;
}

export interface ResolvedRetryOptions {
  maxElapsedMs: number;
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  jitter: boolean;
}

export function resolveRetryOptions(opts: RetryOptions | false | undefined): ResolvedRetryOptions {
  if (opts === false) {
    return { maxElapsedMs: 0, maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0, factor: 1, jitter: false };
  }
  const r: ResolvedRetryOptions = {
    maxElapsedMs: opts?.maxElapsedMs ?? 60_000,
    maxAttempts: opts?.maxAttempts ?? Infinity,
    initialDelayMs: opts?.initialDelayMs ?? 100,
    maxDelayMs: opts?.maxDelayMs ?? 5_000,
    factor: opts?.factor ?? 2,
    jitter: opts?.jitter ?? true,
  };
  for (const [k, v] of Object.entries(r)) {
    if (typeof v === 'number' && (Number.isNaN(v) || v < 0)) {
      throw new RangeError(`PostgresSink: retry.${k} must be a non-negative number, got ${v}`);
    }
  }
  if (r.maxAttempts < 1) throw new RangeError('PostgresSink: retry.maxAttempts must be at least 1');
  return r;
}

/** Delay before attempt `attempt + 1`, after `attempt` failed attempts (attempt >= 1). */
export function backoffDelay(opts: ResolvedRetryOptions, attempt: number): number {
  const base = Math.min(opts.maxDelayMs, opts.initialDelayMs * Math.pow(opts.factor, attempt - 1));
  return opts.jitter ? base / 2 + Math.random() * (base / 2) : base;
}
