/**
 * Bounded retry with back-off for the Kafka operations of a batch. A broker that is down or
 * restarting, a partition without a leader, a request timing out: all are retried (200 ms
 * doubling up to 5 s) until `timeoutMs` has passed since the first attempt; then the operation
 * fails with a KafkaStreamError naming what was tried, for how long, and the last cause. An
 * attempt still under way when `timeoutMs` has passed is abandoned unless Kafka is answering it
 * (`progress`): a broker that accepts connections but never answers fails the operation at the
 * bound, not after kafkajs's own timeouts. A topic that does not exist is waited for only
 * `topicWaitMs`. Definitive answers (offsets out of range, a request Kafka refused with a
 * non-retriable protocol error such as UNKNOWN_MEMBER_ID, bad arguments) fail at once.
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
  /** Called when a failed attempt is to be retried, before the back-off (the client's outage notice). */
  onRetrying?: (error: unknown, attempt: number) => void;
  /** Called before each retry (e.g. to refresh metadata). */
  onRetry?: (error: unknown, attempt: number) => void | Promise<void>;
  /**
   * A count of the answers Kafka gave so far (the fetch responses of a long read). An attempt
   * still under way at the deadline goes on while this keeps growing — at least one answer every
   * `silenceMs` — and is abandoned once it stops.
   */
  progress?: () => number;
  /** How long an attempt past the deadline may go without an answer (default: min(timeoutMs, 30 s), at least 1 s). */
  silenceMs?: number;
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

/**
 * Non-retriable protocol errors (kafkajs marks them `retriable: false`) that an outage or a
 * cluster change can still give for a while: these are retried like a broker that is down.
 */
const TRANSIENT_REFUSALS = new Set([
  'UNKNOWN', // UNKNOWN_SERVER_ERROR: an unexpected exception in the broker
  'BROKER_NOT_AVAILABLE',
  'STALE_CONTROLLER_EPOCH',
  'STALE_BROKER_EPOCH',
  'OPERATION_NOT_ATTEMPTED',
  'REASSIGNMENT_IN_PROGRESS',
]);

/**
 * The protocol error in `e`'s chain by which Kafka definitely refused the request (kafkajs's
 * KafkaJSProtocolError with `retriable: false`, e.g. UNKNOWN_MEMBER_ID, GROUP_AUTHORIZATION_FAILED),
 * or undefined. Offsets out of range are told apart (isOffsetOutOfRange).
 */
export function refusal(e: unknown): { type: string; code: number } | undefined {
  for (const x of errorChain(e)) {
    const o = x as { name?: unknown; type?: unknown; code?: unknown; retriable?: unknown };
    if (o.name === 'KafkaJSProtocolError' && o.retriable === false && typeof o.type === 'string' && typeof o.code === 'number') {
      if (TRANSIENT_REFUSALS.has(o.type) || o.type === 'OFFSET_OUT_OF_RANGE') continue;
      return { type: o.type, code: o.code };
    }
  }
  return undefined;
}

function isFatal(e: unknown): boolean {
  if (e instanceof FatalKafkaError) return true;
  if (e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError || e instanceof ReferenceError) return true;
  return false;
}

/** An attempt abandoned at the deadline: Kafka gave it no answer. */
class NoAnswer extends Error {}

/** The least an attempt is given, however small `timeoutMs` (a first attempt always runs). */
const MIN_ATTEMPT_MS = 1000;

/**
 * `attempt`, abandoned (rejecting with NoAnswer) once `deadline` has passed and no answer came
 * (`progress`) in the last `silenceMs`. The abandoned attempt runs on until kafkajs's own
 * timeouts end it; its outcome is ignored.
 */
function bounded<T>(attempt: Promise<T>, deadline: number, silenceMs: number, progress: (() => number) | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let seen = progress?.();
    let timer: NodeJS.Timeout | undefined;
    const check = (): void => {
      const now = Date.now();
      if (now < deadline) {
        timer = setTimeout(check, deadline - now);
        return;
      }
      const p = progress?.();
      if (p !== undefined && p !== seen) {
        seen = p;
        timer = setTimeout(check, silenceMs);
        return;
      }
      reject(new NoAnswer('no answer'));
    };
    timer = setTimeout(check, Math.max(0, deadline - Date.now()));
    attempt.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
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
  const silenceMs = o.silenceMs ?? Math.max(MIN_ATTEMPT_MS, Math.min(o.timeoutMs, 30_000));
  let previous: unknown;
  for (let attempt = 1; ; attempt++) {
    const attemptStart = Date.now();
    try {
      // The first attempt gets at least MIN_ATTEMPT_MS; the others what is left of the bound.
      const deadline = attempt === 1 ? start + Math.max(o.timeoutMs, MIN_ATTEMPT_MS) : start + o.timeoutMs;
      return await bounded(op(attempt), deadline, silenceMs, o.progress);
    } catch (e) {
      if (e instanceof NoAnswer) {
        const elapsed = Date.now() - start;
        throw new KafkaStreamError(
          `${o.what} failed: Kafka did not answer (${attempt} attempt${attempt > 1 ? 's' : ''} in ${Math.round(elapsed / 100) / 10} s, ` +
            `the last one unanswered after ${Math.round((Date.now() - attemptStart) / 100) / 10} s)` +
            (previous !== undefined ? `: ${describeError(previous)}` : ''),
          previous,
        );
      }
      if (isFatal(e)) throw e;
      previous = e;
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
      const refused = refusal(e);
      if (refused) {
        throw new FatalKafkaError(`${o.what}: Kafka refused it with ${refused.type} (error code ${refused.code}): ${describeError(e)}`, e);
      }
      if (elapsed + Math.min(backoff, 50) >= bound) {
        const why = unknownTopic ? 'the topic does not exist' : 'Kafka did not answer';
        throw new KafkaStreamError(
          `${o.what} failed: ${why} (${attempt} attempt${attempt > 1 ? 's' : ''} in ${Math.round(elapsed / 100) / 10} s): ${describeError(e)}`,
          e,
        );
      }
      o.onRetrying?.(e, attempt);
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
