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

/** The numeric retry options: a value of another type (a string such as `'2000 ms'`) is refused, not read as "no limit". */
const NUMERIC = ['maxElapsedMs', 'maxAttempts', 'initialDelayMs', 'maxDelayMs', 'factor'] as const;

/** `who` names the sink in the errors (a TypeError for a wrong type, a RangeError for a wrong number). */
export function resolveRetryOptions(opts: RetryOptions | false | undefined, who = 'PostgresSink'): ResolvedRetryOptions {
  if (opts === false) {
    return { maxElapsedMs: 0, maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0, factor: 1, jitter: false };
  }
  if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) {
    throw new TypeError(`${who}: retry must be an object of options or false, got ${describe(opts)}`);
  }
  for (const k of NUMERIC) {
    const v = opts?.[k];
    if (v !== undefined && typeof v !== 'number') throw new TypeError(`${who}: retry.${k} must be a number, got ${describe(v)}`);
  }
  if (opts?.jitter !== undefined && typeof opts.jitter !== 'boolean') {
    throw new TypeError(`${who}: retry.jitter must be true or false, got ${describe(opts.jitter)}`);
  }
  const r: ResolvedRetryOptions = {
    maxElapsedMs: opts?.maxElapsedMs ?? 60_000,
    maxAttempts: opts?.maxAttempts ?? Infinity,
    initialDelayMs: opts?.initialDelayMs ?? 100,
    maxDelayMs: opts?.maxDelayMs ?? 5_000,
    factor: opts?.factor ?? 2,
    jitter: opts?.jitter ?? true,
  };
  for (const k of NUMERIC) {
    const v = r[k];
    if (Number.isNaN(v) || v < 0) throw new RangeError(`${who}: retry.${k} must be a non-negative number, got ${v}`);
  }
  if (r.maxAttempts < 1) throw new RangeError(`${who}: retry.maxAttempts must be at least 1`);
  return r;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? (Array.isArray(v) ? 'an array' : 'an object') : String(v);
}

/** Delay before attempt `attempt + 1`, after `attempt` failed attempts (attempt >= 1). */
export function backoffDelay(opts: ResolvedRetryOptions, attempt: number): number {
  const base = Math.min(opts.maxDelayMs, opts.initialDelayMs * Math.pow(opts.factor, attempt - 1));
  return opts.jitter ? base / 2 + Math.random() * (base / 2) : base;
}
