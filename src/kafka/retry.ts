/**
 * Bounded retry with back-off for the Kafka operations of a batch. A broker that is down or
 * restarting, a partition without a leader, a request timing out: all are retried (200 ms
 * doubling up to 5 s) until `timeoutMs` has passed since the first attempt; then the operation
 * fails with a KafkaStreamError naming what was tried, for how long, and the last cause. A topic
 * that does not exist is waited for only `topicWaitMs`. Definitive answers (offsets out of
 * range, bad arguments) fail at once.
 */
import { causeChain } from '../util/causeChain.js';
import { sleep } from '../util/sleep.js';

export class KafkaStreamError extends Error {
  override readonly cause: unknown;
  constructor(message: string, cause?: unknown) {
    super(message);
    this.name = 'KafkaStreamError';
    this.cause = cause;
  }
}

/** An error that no retry can fix (marks it so `withRetry` gives up at once). */
export class FatalKafkaError extends KafkaStreamError {
  constructor(message: string, cause?: unknown) {
    super(message, cause);
    this.name = 'FatalKafkaError';
  }
}

export interface RetryOptions {
  /** What is being done, for the error ("looking up the latest offsets of [a, b]"). */
  what: string;
  timeoutMs: number;
  topicWaitMs: number;
  /** Stops retrying (the client is closed): the last error is thrown. */
  signal?: AbortSignal | undefined;
  /** Checked after a failed attempt (and while waiting to retry): true gives up at once (the context is stopping). */
  giveUp?: () => boolean;
  /** Called before each retry (e.g. to refresh metadata). */
  onRetry?: (error: unknown, attempt: number) => void | Promise<void>;
  /** Back-off bounds (tests). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/** The error and the errors it wraps (kafkajs wraps errors in KafkaJSNumberOfRetriesExceeded etc.). */
export const errorChain = (e: unknown): unknown[] => causeChain(e);

function hasType(e: unknown, type: string): boolean {
  return errorChain(e).some((x) => (x as { type?: unknown }).type === type);
}

export function isUnknownTopic(e: unknown): boolean {
  return hasType(e, 'UNKNOWN_TOPIC_OR_PARTITION');
}

export function isOffsetOutOfRange(e: unknown): boolean {
  return errorChain(e).some(
    (x) => (x as { type?: unknown }).type === 'OFFSET_OUT_OF_RANGE' || (x as { name?: unknown }).name === 'KafkaJSOffsetOutOfRange',
  );
}

function isFatal(e: unknown): boolean {
  if (e instanceof FatalKafkaError) return true;
  if (e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError || e instanceof ReferenceError) return true;
  return false;
}

/** A short account of an error: its message, and the innermost cause's when different. */
export function describeError(e: unknown): string {
  const chain = errorChain(e);
  const msgs: string[] = [];
  for (const x of chain) {
    const m = x instanceof Error ? `${x.name}: ${x.message}` : String(x);
    if (!msgs.some((p) => p.includes((x as Error)?.message ?? m))) msgs.push(m);
  }
  return msgs.join(' <- ');
}

export async function withRetry<T>(op: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const start = Date.now();
  let backoff = o.initialBackoffMs ?? 200;
  const maxBackoff = o.maxBackoffMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (e) {
      if (isFatal(e)) throw e;
      const elapsed = Date.now() - start;
      const unknownTopic = isUnknownTopic(e);
      const bound = unknownTopic ? Math.min(o.topicWaitMs, o.timeoutMs) : o.timeoutMs;
      if (o.signal?.aborted || o.giveUp?.()) {
        throw new KafkaStreamError(`${o.what}: stopped while retrying (${describeError(e)})`, e);
      }
      if (isOffsetOutOfRange(e)) {
        throw new FatalKafkaError(
          `${o.what}: offsets out of range — the records are no longer in Kafka (deleted by retention?) or were never written (${describeError(e)})`,
          e,
        );
      }
      if (elapsed + Math.min(backoff, 50) >= bound) {
        const why = unknownTopic ? 'the topic does not exist' : 'Kafka did not answer';
        throw new KafkaStreamError(
          `${o.what} failed: ${why} (${attempt} attempt${attempt > 1 ? 's' : ''} in ${Math.round(elapsed / 100) / 10} s): ${describeError(e)}`,
          e,
        );
      }
      const wakeAt = Date.now() + Math.min(backoff, Math.max(0, bound - elapsed));
      while (Date.now() < wakeAt && !o.signal?.aborted && !o.giveUp?.()) {
        await sleep(Math.min(100, wakeAt - Date.now()), o.signal);
      }
      backoff = Math.min(backoff * 2, maxBackoff);
      try {
        await o.onRetry?.(e, attempt);
      } catch {
        // the next attempt will say what is wrong
      }
    }
  }
}
