/**
 * Is an error Kafka being unreachable (a broker down or restarting, a coordinator moving or still
 * loading) rather than a real answer? A scaled-out copy rides those out for `retry.timeout.ms`
 * (kafka/group.ts, scaleout/transactions.ts) and fails fast on anything else (authorization, an
 * unknown topic, a record refused). A direct stream's client (kafka/client.ts) retries each
 * operation for `retry.timeout.ms` too, and says so once per outage (`OutageNotice`).
 */
import { causeChain } from '../util/causeChain.js';

/** kafkajs's errors for a broker it could not reach or that did not answer (kafkajs/src/errors.js). */
const UNREACHABLE_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
]);

/** Kafka's answers while a broker restarts or a coordinator moves (kafkajs/src/protocol/error.js). */
const UNREACHABLE_TYPES = new Set([
  'GROUP_LOAD_IN_PROGRESS', // "The coordinator is loading": a broker just started
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'BROKER_NOT_AVAILABLE',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'KAFKA_STORAGE_ERROR',
]);

/** Node's socket errors for a peer that is not there. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** True when `e` (or an error it wraps) says Kafka could not be reached or is not ready yet. */
export function isKafkaUnreachable(e: unknown): boolean {
  return causeChain(e).some((x) => {
    if (typeof x !== 'object' || x === null) return false;
    const o = x as { name?: unknown; type?: unknown; code?: unknown };
    return (
      (typeof o.name === 'string' && UNREACHABLE_ERRORS.has(o.name)) ||
      (typeof o.type === 'string' && UNREACHABLE_TYPES.has(o.type)) ||
      (typeof o.code === 'string' && SOCKET_CODES.has(o.code))
    );
  });
}

/** "1.5 s" */
export const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/**
 * What a client's retrying operations (kafka/client.ts) tell the user of an outage: one line when
 * an operation first finds Kafka unreachable and retries, one when an operation begun after that
 * goes through, with how long Kafka was unreachable. Once per outage — not per retry, operation
 * or partition; an outage later is told again. As the scaled-out group's lines (group.ts).
 */
export class OutageNotice {
  /** When the outage was first seen; undefined while Kafka answers. */
  private since: number | undefined;

  constructor(
    private readonly brokers: readonly string[],
    private readonly retryTimeoutMs: number,
    private readonly log: (message: string) => void,
  ) {}

  /** `what` failed with `error` and is retried (retry.ts's onRetrying). */
  retrying(what: string, error: unknown): void {
    if (this.since !== undefined || !isKafkaUnreachable(error)) return;
    this.since = Date.now();
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.log(
      `Kafka ${this.brokers.join(',')} unreachable (${why}) while ${what}: ` +
        `retrying with back-off for up to retry.timeout.ms = ${seconds(this.retryTimeoutMs)} before failing`,
    );
  }

  /**
   * An attempt of `what` begun at `startedAt` went through. One begun before the outage was seen
   * may have been answered before it: it does not end the outage.
   */
  answered(what: string, startedAt: number): void {
    if (this.since === undefined || startedAt < this.since) return;
    this.log(`Kafka ${this.brokers.join(',')} reachable again after ${seconds(Date.now() - this.since)} unreachable: ${what} went through`);
    this.since = undefined;
  }
}
