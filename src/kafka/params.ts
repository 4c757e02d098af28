/**
 * `KafkaParams`: a plain object with Kafka's own property names (as in the book and Spark),
 * plus a few options of this project. Unknown keys are ignored, so parameters written for
 * Spark (`key.deserializer`, `enable.auto.commit`, …) can be passed as they are.
 */
import type { OffsetRange } from './OffsetRange.js';

export type KafkaParamValue = string | number | boolean | undefined;

export interface KafkaParams {
  /** Comma-separated `host:port` list (the book's name; `bootstrap.servers` is the same). */
  'metadata.broker.list'?: string;
  'bootstrap.servers'?: string;
  /** The consumer group: where `commitAsync` commits and whose committed offsets a stream starts from. */
  'group.id'?: string;
  /**
   * Where to start without `fromOffsets` and without committed offsets, and where a committed
   * offset Kafka no longer holds is reset to: `earliest`/`latest` (Spark's `smallest`/`largest`),
   * or `none` (the direct stream fails instead, naming the partition). Default `latest`.
   */
  'auto.offset.reset'?: 'earliest' | 'latest' | 'smallest' | 'largest' | 'none' | string;
  'client.id'?: string;
  /**
   * `read_committed`: a direct stream leaves out the records of aborted transactions (Kafka's
   * consumer setting; a scaled-out job's streams always do). Default `read_uncommitted`.
   */
  'isolation.level'?: 'read_committed' | 'read_uncommitted' | string;
  /** Bytes asked for per partition in one fetch request (default 4 MiB). */
  'max.partition.fetch.bytes'?: number | string;
  /** Bytes asked for in one fetch request (default 64 MiB). */
  'fetch.max.bytes'?: number | string;
  /** Records per second per partition a direct stream takes at most (`spark.streaming.kafka.maxRatePerPartition`); unlimited when 0 or absent. */
  maxRatePerPartition?: number | string;
  'spark.streaming.kafka.maxRatePerPartition'?: number | string;
  /**
   * Records a direct stream's batch takes at most, all partitions together, in place of the
   * default cap's 500 000 (rate/BatchCap.ts). Unlike Spark, a batch is bounded by default even
   * without a rate: about what the job processes in one batch interval, at most this many
   * records and `maxBytesPerBatch` bytes. maxRatePerPartition overrides both.
   */
  maxRecordsPerBatch?: number | string;
  /** Bytes (keys + values) a direct stream's batch takes at most, in place of the default cap's 64 MiB. */
  maxBytesPerBatch?: number | string;
  /** With a rate limit (maxRatePerPartition or backpressure), at least this many records per partition per batch, as Spark (`spark.streaming.kafka.minRatePerPartition`, default 1). */
  minRatePerPartition?: number | string;
  'spark.streaming.kafka.minRatePerPartition'?: number | string;
  /** Adapt the rate to how fast batches are processed, with a PID estimator (`spark.streaming.backpressure.enabled`). */
  backpressure?: boolean | string;
  'spark.streaming.backpressure.enabled'?: boolean | string;
  /** Records/s (all partitions) before the first estimate (`spark.streaming.backpressure.initialRate`). */
  'backpressure.initialRate'?: number | string;
  'spark.streaming.backpressure.initialRate'?: number | string;
  /** The PID estimator's floor in records/s (`spark.streaming.backpressure.pid.minRate`, default 100). */
  'backpressure.pid.minRate'?: number | string;
  'spark.streaming.backpressure.pid.minRate'?: number | string;
  /**
   * How long one Kafka operation of a batch (looking up offsets, reading a range, committing)
   * keeps retrying, with back-off, while the broker is unreachable or a partition has no
   * leader, before the batch fails (default 120000 ms). Spark fails after
   * `spark.streaming.kafka.maxRetries` (1) attempts; waiting loses nothing and keeps the job alive
   * through a broker restart.
   */
  'retry.timeout.ms'?: number | string;
  /** How long a missing topic is waited for (it may be being created) before the error (default 10000 ms). */
  'topic.wait.ms'?: number | string;
  /** createStream's consumer: how long the group waits for a silent member (a killed process) before rebalancing (default 10000 ms). */
  'session.timeout.ms'?: number | string;
  /** createStream's consumer heartbeat (default 3000 ms). */
  'heartbeat.interval.ms'?: number | string;
  [key: string]: KafkaParamValue;
}

/** `none`: no reset — a partition without a valid starting offset fails the direct stream's start. */
export type OffsetReset = 'earliest' | 'latest' | 'none';

/** KafkaParams read and checked, with every default filled in. */
export interface ResolvedKafkaParams {
  brokers: string[];
  groupId: string | undefined;
  clientId: string;
  autoOffsetReset: OffsetReset;
  maxPartitionFetchBytes: number;
  fetchMaxBytes: number;
  /** Records/s per partition; Infinity when not set (the default cap applies). */
  maxRatePerPartition: number;
  /** The default cap's limits given in kafkaParams (maxRecordsPerBatch, maxBytesPerBatch). */
  batchCap: { maxRecords?: number; maxBytes?: number };
  minRatePerPartition: number;
  backpressure: boolean;
  /** Records/s; Infinity when absent. */
  initialRate: number;
  pidMinRate: number;
  retryTimeoutMs: number;
  topicWaitMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** `isolation.level` is `read_committed`. */
  readCommitted: boolean;
}

export class KafkaConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KafkaConfigError';
  }
}

function pick(params: KafkaParams, ...names: string[]): KafkaParamValue {
  for (const n of names) if (params[n] !== undefined && params[n] !== null) return params[n];
  return undefined;
}

function num(params: KafkaParams, what: string, dflt: number, ...names: string[]): number {
  const v = pick(params, ...names);
  if (v === undefined || v === '') return dflt;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new KafkaConfigError(`kafkaParams "${names[0]}" (${what}) must be a non-negative number, got ${String(v)}`);
  }
  return n;
}

function bool(params: KafkaParams, ...names: string[]): boolean {
  const v = pick(params, ...names);
  if (v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  throw new KafkaConfigError(`kafkaParams "${names[0]}" must be true or false, got ${String(v)}`);
}

/** `"host:port,host:port"` → `["host:port", …]`, checked. */
export function parseBrokerList(list: string, what = 'broker list'): string[] {
  if (typeof list !== 'string') throw new KafkaConfigError(`the ${what} must be a string of host:port, got ${typeof list}`);
  const brokers = list
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new KafkaConfigError(`the ${what} is empty: give at least one host:port`);
  for (const b of brokers) {
    if (!/^\[?[^\s/]+\]?:\d{1,5}$/.test(b)) throw new KafkaConfigError(`"${b}" in the ${what} is not host:port`);
    const port = Number(b.slice(b.lastIndexOf(':') + 1));
    if (port < 1 || port > 65535) throw new KafkaConfigError(`"${b}" in the ${what} has port ${port}: a port is 1 to 65535`);
  }
  return brokers;
}

export function resolveKafkaParams(params: KafkaParams | undefined, brokersOverride?: string): ResolvedKafkaParams {
  if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) {
    throw new KafkaConfigError('kafkaParams must be a plain object of Kafka properties');
  }
  const p: KafkaParams = params ?? {};
  const list = brokersOverride ?? pick(p, 'metadata.broker.list', 'bootstrap.servers');
  if (list === undefined) {
    throw new KafkaConfigError(
      'kafkaParams needs the brokers: "metadata.broker.list" or "bootstrap.servers" (comma-separated host:port)',
    );
  }
  const brokers = parseBrokerList(String(list), brokersOverride !== undefined ? 'broker list' : 'kafkaParams broker list');
  const groupRaw = pick(p, 'group.id');
  if (groupRaw !== undefined && (typeof groupRaw !== 'string' || groupRaw === '')) {
    throw new KafkaConfigError(`kafkaParams "group.id" must be a non-empty string, got ${String(groupRaw)}`);
  }
  const resetRaw = pick(p, 'auto.offset.reset');
  let autoOffsetReset: OffsetReset = 'latest';
  if (resetRaw !== undefined) {
    const r = String(resetRaw).trim().toLowerCase();
    if (r === 'earliest' || r === 'smallest') autoOffsetReset = 'earliest';
    else if (r === 'latest' || r === 'largest') autoOffsetReset = 'latest';
    else if (r === 'none') autoOffsetReset = 'none';
    else {
      throw new KafkaConfigError(
        `kafkaParams "auto.offset.reset" must be earliest, latest (or Spark's smallest/largest) or none, got ${String(resetRaw)}`,
      );
    }
  }
  const isolation = pick(p, 'isolation.level');
  if (isolation !== undefined && isolation !== 'read_committed' && isolation !== 'read_uncommitted') {
    throw new KafkaConfigError(`kafkaParams "isolation.level" must be read_committed or read_uncommitted, got ${String(isolation)}`);
  }
  const maxRate = num(p, 'records/s', 0, 'maxRatePerPartition', 'spark.streaming.kafka.maxRatePerPartition');
  const initialRate = num(p, 'records/s', 0, 'backpressure.initialRate', 'spark.streaming.backpressure.initialRate');
  const maxRecords = num(p, 'records', 0, 'maxRecordsPerBatch');
  const maxBytes = num(p, 'bytes', 0, 'maxBytesPerBatch');
  return {
    brokers,
    groupId: groupRaw as string | undefined,
    clientId: String(pick(p, 'client.id') ?? 'dstreams'),
    autoOffsetReset,
    maxPartitionFetchBytes: Math.max(1024, num(p, 'bytes', 4 * 1024 * 1024, 'max.partition.fetch.bytes')),
    fetchMaxBytes: Math.max(1024, num(p, 'bytes', 64 * 1024 * 1024, 'fetch.max.bytes')),
    maxRatePerPartition: maxRate > 0 ? maxRate : Infinity,
    batchCap: {
      ...(maxRecords > 0 ? { maxRecords: Math.max(1, Math.floor(maxRecords)) } : {}),
      ...(maxBytes > 0 ? { maxBytes } : {}),
    },
    minRatePerPartition: num(p, 'records/s', 1, 'minRatePerPartition', 'spark.streaming.kafka.minRatePerPartition'),
    backpressure: bool(p, 'backpressure', 'spark.streaming.backpressure.enabled'),
    initialRate: initialRate > 0 ? initialRate : Infinity,
    pidMinRate: Math.max(1, num(p, 'records/s', 100, 'backpressure.pid.minRate', 'spark.streaming.backpressure.pid.minRate')),
    retryTimeoutMs: num(p, 'ms', 120_000, 'retry.timeout.ms'),
    topicWaitMs: num(p, 'ms', 10_000, 'topic.wait.ms'),
    sessionTimeoutMs: num(p, 'ms', 10_000, 'session.timeout.ms'),
    heartbeatIntervalMs: num(p, 'ms', 3000, 'heartbeat.interval.ms'),
    readCommitted: isolation === 'read_committed',
  };
}

/** `"topic:partition"`, the key of fromOffsets and of checkpointed positions. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

export function parseTpKey(key: string): { topic: string; partition: number } {
  const i = key.lastIndexOf(':');
  const partition = i > 0 ? Number(key.slice(i + 1)) : NaN;
  if (i <= 0 || !Number.isInteger(partition) || partition < 0 || key.slice(i + 1).trim() === '') {
    throw new KafkaConfigError(`"${key}" is not a "topic:partition" key (e.g. "shakespeare:0")`);
  }
  return { topic: key.slice(0, i), partition };
}

/** fromOffsets as a Map or an object, checked: `"topic:partition"` → a non-negative whole offset. */
export function parseFromOffsets(
  fromOffsets: Map<string, number> | Record<string, number> | undefined,
): Map<string, number> {
  const out = new Map<string, number>();
  if (fromOffsets === undefined || fromOffsets === null) return out;
  const entries: Iterable<[string, unknown]> =
    fromOffsets instanceof Map
      ? fromOffsets.entries()
      : typeof fromOffsets === 'object'
        ? Object.entries(fromOffsets)
        : (() => {
            throw new KafkaConfigError('fromOffsets must be a Map or an object of "topic:partition" → offset');
          })();
  for (const [k, v] of entries) {
    const { topic, partition } = parseTpKey(String(k));
    const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new KafkaConfigError(`fromOffsets["${k}"] must be a non-negative whole offset, got ${String(v)}`);
    }
    out.set(tpKey(topic, partition), n);
  }
  return out;
}

export function checkTopics(topics: unknown, what = 'topics'): string[] {
  if (!Array.isArray(topics) || topics.length === 0) {
    throw new KafkaConfigError(`${what} must be a non-empty array of topic names`);
  }
  for (const t of topics) {
    if (typeof t !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(t)) {
      throw new KafkaConfigError(`"${String(t)}" is not a valid Kafka topic name`);
    }
  }
  return [...new Set(topics as string[])];
}

/** Checks offset ranges given by a caller (createRDD, commitAsync). */
export function checkOffsetRanges(ranges: unknown, what: string): OffsetRange[] {
  if (!Array.isArray(ranges)) throw new KafkaConfigError(`${what} must be an array of OffsetRange`);
  return ranges.map((r, i) => {
    const o = r as Partial<OffsetRange> | null;
    if (
      !o ||
      typeof o.topic !== 'string' ||
      !Number.isInteger(o.partition) ||
      (o.partition as number) < 0 ||
      !Number.isSafeInteger(o.fromOffset) ||
      !Number.isSafeInteger(o.untilOffset) ||
      (o.fromOffset as number) < 0 ||
      (o.untilOffset as number) < (o.fromOffset as number)
    ) {
      throw new KafkaConfigError(
        `${what}[${i}] is not an offset range { topic, partition, fromOffset, untilOffset ≥ fromOffset }: ${JSON.stringify(r)}`,
      );
    }
    return { topic: o.topic, partition: o.partition!, fromOffset: o.fromOffset!, untilOffset: o.untilOffset! };
  });
}
