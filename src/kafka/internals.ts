/**
 * The parts of kafkajs's internal cluster layer that dstreams uses, and the one place that
 * reaches it (`internalCluster`). kafkajs has no `assign()`, so offset ranges are read and
 * offsets committed with requests sent through this layer (connection pools, metadata,
 * protocol encoding, record-batch decoding, compression): the layer kafkajs's own consumer uses.
 * It is internal to kafkajs 2.x; `internalCluster` fails with a clear error on a version that
 * does not have it. The types below name only what client.ts and fetch.ts call.
 */
import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';
import type { AbortedTransaction } from './aborted.js';
import { FatalKafkaError } from './retry.js';

/** A record as the cluster layer decodes it. */
export interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp?: string;
  isControlRecord?: boolean;
  /** `timestampType`: 0 CreateTime, 1 LogAppendTime (the batch's attribute; absent in old message formats). */
  batchContext?: { producerId: string; inTransaction: boolean; timestampType?: number };
}

export interface FetchResponse {
  responses: Array<{
    topicName: string;
    partitions: Array<{
      partition: number;
      errorCode: number;
      highWatermark: string;
      messages: FetchedMessage[];
      abortedTransactions?: AbortedTransaction[];
    }>;
  }>;
}

export interface InternalBroker {
  fetch(request: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
  }): Promise<FetchResponse>;
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  }): Promise<{ responses: Array<{ topic: string; partitions: Array<{ partition: number; errorCode: number }> }> }>;
}

export interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(o: { nodeId: string }): Promise<InternalBroker>;
  /** ListOffsets at this cluster's isolation level (READ_UNCOMMITTED: the latest is the high watermark). */
  fetchTopicsOffset(
    topics: Array<{ topic: string; fromBeginning: boolean; partitions: Array<{ partition: number }> }>,
  ): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
  findGroupCoordinator(o: { groupId: string }): Promise<InternalBroker>;
}

export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

/** kafkajs's cluster layer for `kafka` (a private factory of the Kafka object in kafkajs 2.x). */
export function internalCluster(kafka: Kafka): InternalCluster {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = sym ? (kafka as unknown as Record<symbol, unknown>)[sym] : undefined;
  if (typeof create !== 'function') {
    throw new FatalKafkaError(
      'this kafkajs version does not have the cluster layer dstreams reads offset ranges with (kafkajs 2.x has it)',
    );
  }
  return (create as (o: object) => InternalCluster).call(kafka, {
    metadataMaxAge: 300_000,
    allowAutoTopicCreation: false,
    maxInFlightRequests: null,
    isolationLevel: READ_UNCOMMITTED,
  });
}

const kafkajsErrors = createRequire(import.meta.url)('kafkajs/src/protocol/error') as {
  createErrorFromCode?: (code: number) => Error & { type?: string; retriable?: boolean };
};

/**
 * The error kafkajs makes of protocol error `code` (a KafkaJSProtocolError: its type, and whether
 * a retry can help), for a response this project reads itself; `what` goes in front of its message.
 */
export function protocolError(code: number, what: string): Error {
  const e = kafkajsErrors.createErrorFromCode?.(code) ?? Object.assign(new Error(`Kafka error code ${code}`), { code });
  e.message = `${what} failed: ${e.message}`;
  return e;
}
