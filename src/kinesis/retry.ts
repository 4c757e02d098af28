/**
 * The one retry loop of the Kinesis transport (Kinesis calls and lease-table calls): an error a
 * retry may fix (endpoint unreachable, throttling, ProvisionedThroughputExceeded, a server
 * error) is retried after 200 ms, doubling up to 5 s, until `timeoutMs` has passed; then — or at
 * once for any other error — the call fails with a KinesisStreamError that says where (`where`:
 * the stream, or the table, and the endpoint), what was being done, and why.
 *
 * `signal` cuts a call short: the attempt in flight is aborted (the op passes the signal to the
 * SDK's send), the wait between attempts ends, and the call fails at once — a stop never waits
 * out an attempt's request timeout (30 s) or the retry timeout.
 */
import { sleep } from '../util/sleep.js';
import { awsErrorName, describeAwsError, isTransient, KinesisStreamError } from './errors.js';

export interface RetryOptions {
  /** "Kinesis stream "s" at http://…": the words every error carries. */
  where: string;
  /** What is being done, e.g. "reading shardId-000000000001". */
  what: string;
  timeoutMs: number;
  /** True: stop retrying now (the client is closed, the context stopping). */
  giveUp?: () => boolean;
  /** Errors that are answers, not failures (a failed condition): rethrown as they are. */
  passThrough?: (e: unknown) => boolean;
  /** Sees every failed attempt (e.g. to count throttled calls). */
  onError?: (e: unknown) => void;
  /** 'stream': a call on the stream itself (describe, list shards), whose ResourceNotFoundException means the stream is gone. */
  on?: 'stream';
  /** Aborted: the call fails now, its attempt in flight cut short (the op gives it to the SDK's send). */
  signal?: AbortSignal;
  /**
   * Told the local time as each attempt is sent: the last call is the successful attempt's (a
   * lease is held from when its winning take or renewal was sent, not its first throttled try).
   */
  onAttempt?: (sentAt: number) => void;
}

/** Why a signal was aborted, in words. */
function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : typeof r === 'string' ? r : 'aborted';
}

export async function withRetry<T>(op: () => Promise<T>, o: RetryOptions): Promise<T> {
  const start = Date.now();
  let backoff = 200;
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw new KinesisStreamError(`${o.where}: ${o.what} was cut short (${abortReason(o.signal)})`, o.signal.reason);
    try {
      o.onAttempt?.(Date.now());
      return await op();
    } catch (e) {
      if (o.passThrough?.(e)) throw e;
      if (o.signal?.aborted) throw new KinesisStreamError(`${o.where}: ${o.what} was cut short (${abortReason(o.signal)})`, e);
      o.onError?.(e);
      const name = awsErrorName(e);
      if (name === 'ResourceNotFoundException') {
        throw new KinesisStreamError(`${o.where}: ${o.what} failed, it does not exist (${describeAwsError(e)})`, e, o.on);
      }
      const elapsed = Date.now() - start;
      const transient = isTransient(e);
      if (!transient || o.giveUp?.() || elapsed + backoff > o.timeoutMs) {
        const why = transient ? `gave up after ${attempt} attempt${attempt > 1 ? 's' : ''} in ${Math.round(elapsed / 100) / 10} s` : 'failed';
        const unreachable = /^E[A-Z]+$|^TimeoutError$/.test(name) ? ' (endpoint unreachable)' : '';
        throw new KinesisStreamError(`${o.where}: ${o.what} ${why}${unreachable}: ${describeAwsError(e)}`, e);
      }
      await sleep(backoff, o.signal);
      backoff = Math.min(backoff * 2, 5000);
    }
  }
}
