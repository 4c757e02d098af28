/**
 * Is an error Kafka being unreachable (a broker down or restarting, a coordinator moving or still
 * loading) rather than a real answer? A scaled-out copy rides those out for `retry.timeout.ms`
 * (kafka/group.ts, scaleout/transactions.ts) and fails fast on anything else (authorization, an
 * unknown topic, a record refused).
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
