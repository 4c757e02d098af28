/**
 * Talking to PostgreSQL around one unit of work: a pooled client that is destroyed, never
 * reused, after any failure, and the retry loop that runs a whole transaction again after a
 * transient failure (with back-off, until the attempts or the time run out, or the sink closes).
 */
import type pg from 'pg';
import type { PoolClient } from 'pg';
import { isTransientError, PostgresSinkError } from './errors.js';
import { sleep } from '../../util/sleep.js';
import { backoffDelay, type ResolvedRetryOptions, type RetryEvent } from './retry.js';

export interface Attempt {
  number: number;
  /** Some attempt so far sent COMMIT (and may have committed although it saw an error). */
  previousCommitSent: boolean;
}

/** What the retry loop needs from its sink. */
export interface RetryHost {
  readonly sinkId: string;
  readonly retry: ResolvedRetryOptions;
  /** Aborted when the sink closes: a back-off wait ends at once. */
  readonly signal: AbortSignal;
  isClosed(): boolean;
  wrap(what: string, err: unknown, batchTime: number | undefined, retryable: boolean, attempts: number): PostgresSinkError;
  onRetry?: ((event: RetryEvent & { sinkId: string; batchTime?: number }) => void) | undefined;
}

/**
 * Runs `fn` on a pooled client. Whatever goes wrong, the client is destroyed rather than
 * returned to the pool: its state after a failed COPY or a dropped connection is unknown,
 * and closing the connection makes the server roll the open transaction back.
 */
export async function withClient<T>(pool: pg.Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let asyncError: unknown;
  // A checked-out client has no error listener of its own: a backend that dies between two
  // queries would otherwise raise an unhandled 'error' event.
  const onError = (err: unknown): void => {
    asyncError ??= err;
  };
  client.on('error', onError);
  try {
    const result = await fn(client);
    client.removeListener('error', onError);
    client.release();
    return result;
  } catch (err) {
    client.removeListener('error', onError);
    client.on('error', () => {});
    client.release(err instanceof Error ? err : true);
    // The error the client raised by itself (e.g. 57P01 from a terminated backend) is the
    // cause; the query's own error is then only "Client … is not queryable".
    throw asyncError ?? err;
  }
}

/** Runs `fn`, again after each transient failure; permanent failures and the last one become PostgresSinkErrors. */
export async function withRetry<T>(
  host: RetryHost,
  batchTime: number | undefined,
  fn: () => Promise<T>,
  attempt: Attempt = { number: 0, previousCommitSent: false },
): Promise<T> {
  const started = Date.now();
  for (;;) {
    attempt.number++;
    try {
      return await fn();
    } catch (err) {
      if (host.isClosed()) throw host.wrap('closed while writing', err, batchTime, false, attempt.number);
      if (err instanceof PostgresSinkError) throw err;
      if (!isTransientError(err)) throw host.wrap('write', err, batchTime, false, attempt.number);
      const elapsed = Date.now() - started;
      const delay = Math.round(backoffDelay(host.retry, attempt.number)); // whole ms: events and logs show it
      if (attempt.number >= host.retry.maxAttempts || elapsed + delay > host.retry.maxElapsedMs) {
        throw host.wrap(`PostgreSQL unreachable or connection lost`, err, batchTime, true, attempt.number);
      }
      host.onRetry?.({
        sinkId: host.sinkId,
        ...(batchTime !== undefined ? { batchTime } : {}),
        attempt: attempt.number,
        delayMs: delay,
        elapsedMs: elapsed,
        error: err,
      });
      if (!(await sleep(delay, host.signal))) {
        throw host.wrap('closed while retrying', err, batchTime, true, attempt.number);
      }
    }
  }
}
