/**
 * PySpark's KinesisUtils for dstreams (the book's Listing 7.21): `createStream`, receiver-based
 * with KCL-style leases and checkpoints in a DynamoDB table named by the application, and
 * `createDirectStream`, receiver-less with per-batch sequence-number ranges in the job's own
 * checkpoint (exactly once with getOrCreate). Elements are the decoded record data, UTF-8
 * strings by default.
 */
import type { StreamingContext } from '../context/StreamingContext.js';
import { DirectKinesisInputDStream } from '../direct/DirectKinesisInputDStream.js';
import type { KinesisRecord } from '../kinesis/client.js';
import { checkConnection, type KinesisConnection } from '../kinesis/connection.js';
import { KinesisConfigError } from '../kinesis/errors.js';
import { InitialPositionInStream } from '../kinesis/InitialPositionInStream.js';
import { KinesisReceiver, type KinesisReceiverOptions } from '../receivers/KinesisReceiver.js';
import type { ReceiverStreamOptions } from '../receivers/options.js';
import type { ReceiverInputDStream } from '../receivers/ReceiverInputDStream.js';
import { checkDuration, type Duration } from '../util/duration.js';
import { StorageLevel } from './StorageLevel.js';

export { InitialPositionInStream } from '../kinesis/InitialPositionInStream.js';
export { StorageLevel } from './StorageLevel.js';

/** `createStream`'s options object (after PySpark's arguments). */
export interface KinesisStreamOptions<T = string> extends KinesisReceiverOptions<T>, ReceiverStreamOptions {
  /** Where the lease table lives when it is not AWS's DynamoDB endpoint of the region (e.g. a local dynalite). */
  dynamoDBEndpoint?: string;
}

export interface DirectKinesisParams<T = string> {
  endpointUrl: string;
  regionName: string;
  /** Where a job without a checkpoint starts (default LATEST, as Spark's). */
  initialPosition?: InitialPositionInStream;
  awsAccessKeyId?: string;
  awsSecretKey?: string;
  decoder?: (data: Uint8Array) => T;
  /** Turns a whole record (data, partition key, sequence number, shard) into an element; overrides `decoder`. */
  messageHandler?: (record: KinesisRecord) => T;
  /**
   * Records per second per shard a batch takes at most. Without it a batch takes at most the
   * default cap shared by every direct input (about one batch interval of the rate the job has
   * shown; 100 000 records at first, at most 500 000 records / 64 MiB), split among the shards.
   */
  maxRatePerShard?: number;
  /** Adapt the rate to how fast batches are processed (Spark's backpressure). */
  backpressure?: boolean;
  /** The default cap's bound on a batch's records, all shards together (default 500 000). */
  maxRecordsPerBatch?: number;
  /** The default cap's bound on a batch's bytes of record data, all shards together (default 64 MiB). */
  maxBytesPerBatch?: number;
  /** Least time between two reads of one shard (default 200 ms: Kinesis's 5 reads/s a shard). */
  minReadInterval?: Duration;
  /** Give up a Kinesis call after retrying this long (default 2 min); the batch then fails. */
  retryTimeout?: Duration;
}

const utf8 = new TextDecoder('utf-8');
const utf8Decoder = (data: Uint8Array): string => utf8.decode(data);

function checkContext(ssc: StreamingContext, what: string): void {
  if (!ssc || typeof ssc !== 'object' || !('graph' in ssc) || typeof ssc.addBatchHooks !== 'function') {
    throw new KinesisConfigError(`${what} needs a StreamingContext as its first argument`);
  }
}

function checkName(name: unknown, what: string, min: number, max: number): string {
  if (typeof name !== 'string' || name.length < min || name.length > max || !/^[a-zA-Z0-9_.-]+$/.test(name)) {
    throw new KinesisConfigError(`${what} must be ${min}–${max} characters of a-z, A-Z, 0-9, _ . -, got ${JSON.stringify(name)}`);
  }
  return name;
}

function checkPosition(p: unknown, what: string): InitialPositionInStream {
  if (p !== InitialPositionInStream.LATEST && p !== InitialPositionInStream.TRIM_HORIZON) {
    throw new KinesisConfigError(`${what} must be InitialPositionInStream.LATEST or TRIM_HORIZON, got ${String(p)}`);
  }
  return p;
}

function checkFn<F>(f: unknown, what: string): F | undefined {
  if (f === undefined || f === null) return undefined;
  if (typeof f !== 'function') throw new KinesisConfigError(`${what} must be a function`);
  return f as F;
}

function handlerOf<T>(decoder: ((data: Uint8Array) => T) | undefined, messageHandler: ((r: KinesisRecord) => T) | undefined): (r: KinesisRecord) => T {
  if (messageHandler) return messageHandler;
  const d = decoder ?? (utf8Decoder as unknown as (data: Uint8Array) => T);
  return (r) => d(r.data);
}

export const KinesisUtils = {
  /**
   * A receiver that reads every shard of `streamName` as a KCL worker of `kinesisAppName` (see
   * KinesisReceiver): several receivers, or jobs, with the same name share the shards through
   * leases, and a restarted job resumes from the checkpoints. With the context's write-ahead log
   * (`receiverWriteAheadLog` and a checkpoint directory) nothing received is lost.
   *
   * @param checkpointInterval how often each shard's stored position is written to the lease table (ms)
   * @param storageLevel Spark's level, accepted for the book's argument order (see StorageLevel)
   * @param decoder the record data to an element (UTF-8 text by default)
   * @param options `dynamoDBEndpoint`, lease timings, read limits, receiver options (maxRate, name…)
   */
  createStream<T = string>(
    ssc: StreamingContext,
    kinesisAppName: string,
    streamName: string,
    endpointUrl: string,
    regionName: string,
    initialPositionInStream: InitialPositionInStream,
    checkpointInterval: Duration,
    storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2,
    awsAccessKeyId?: string,
    awsSecretKey?: string,
    decoder?: (data: Uint8Array) => T,
    options: KinesisStreamOptions<T> = {},
  ): ReceiverInputDStream<T> {
    checkContext(ssc, 'createStream');
    checkName(kinesisAppName, 'kinesisAppName (the lease table name)', 3, 255);
    checkName(streamName, 'streamName', 1, 128);
    const position = checkPosition(initialPositionInStream, 'initialPositionInStream');
    const interval = checkDuration(checkpointInterval, 'checkpointInterval');
    if (storageLevel !== undefined && !(storageLevel instanceof StorageLevel)) {
      throw new KinesisConfigError(`storageLevel must be a StorageLevel (e.g. StorageLevel.MEMORY_AND_DISK_2), got ${String(storageLevel)}`);
    }
    const connection: KinesisConnection = checkConnection({
      endpointUrl,
      regionName,
      awsAccessKeyId,
      awsSecretKey,
      dynamoDBEndpoint: options.dynamoDBEndpoint,
    });
    // Durations and counts, as createDirectStream checks its own: a string here made NaN timers
    // (a lease-table scan every millisecond, leases never taken over) or failed only at run time.
    for (const k of ['leaseTimeout', 'shardSyncInterval', 'idleReadInterval', 'minReadInterval', 'retryTimeout'] as const) {
      const v = options[k];
      // The lease timeout and shard sync interval are periods (the KCL requires them positive).
      const least = k === 'leaseTimeout' || k === 'shardSyncInterval' ? 'a positive' : 'a non-negative';
      const ok = typeof v === 'number' && Number.isFinite(v) && (least === 'a positive' ? v > 0 : v >= 0);
      if (v !== undefined && !ok) throw new KinesisConfigError(`options.${k} must be ${least} number of ms, got ${String(v)}`);
    }
    const perRead = options.maxRecordsPerRead;
    if (perRead !== undefined && !(Number.isInteger(perRead) && perRead >= 1 && perRead <= 10_000)) {
      throw new KinesisConfigError(`options.maxRecordsPerRead must be a whole number from 1 to 10000 (Kinesis' GetRecords limit), got ${String(perRead)}`);
    }
    // The worker's name in the lease table (its leases' leaseOwner): refused here, not at run time.
    const workerId: unknown = options.workerId;
    if (workerId !== undefined && (typeof workerId !== 'string' || workerId === '')) {
      throw new KinesisConfigError(`options.workerId must be a non-empty string (this worker's name in the lease table), got ${JSON.stringify(workerId)}`);
    }
    const handler = handlerOf<T>(checkFn(decoder, 'decoder'), checkFn(options.messageHandler, 'messageHandler'));
    const receiver = new KinesisReceiver<T>(connection, kinesisAppName, streamName, position, interval, handler, options);
    return ssc.receiverStream(receiver, { name: `KinesisReceiver-${streamName}`, ...options });
  },

  /**
   * A stream without a receiver: each batch reads, per shard, a sequence-number range decided
   * when the batch is generated and checkpointed at once (see DirectKinesisInputDStream), so a
   * job recovered with getOrCreate reads every record exactly once.
   */
  createDirectStream<T = string>(ssc: StreamingContext, streamName: string, params: DirectKinesisParams<T>): DirectKinesisInputDStream<T> {
    checkContext(ssc, 'createDirectStream');
    checkName(streamName, 'streamName', 1, 128);
    if (!params || typeof params !== 'object') throw new KinesisConfigError('createDirectStream needs params { endpointUrl, regionName, … }');
    const connection = checkConnection({
      endpointUrl: params.endpointUrl,
      regionName: params.regionName,
      awsAccessKeyId: params.awsAccessKeyId,
      awsSecretKey: params.awsSecretKey,
    });
    const position = checkPosition(params.initialPosition ?? InitialPositionInStream.LATEST, 'params.initialPosition');
    for (const k of ['maxRatePerShard', 'maxRecordsPerBatch', 'maxBytesPerBatch', 'minReadInterval', 'retryTimeout'] as const) {
      const v = params[k];
      if (v !== undefined && (typeof v !== 'number' || !(v >= 0))) throw new KinesisConfigError(`params.${k} must be a non-negative number, got ${String(v)}`);
    }
    // The batch bounds replace the default cap's: 0 would allow no batch at all.
    for (const k of ['maxRecordsPerBatch', 'maxBytesPerBatch'] as const) {
      if (params[k] === 0) throw new KinesisConfigError(`params.${k} must be a positive number, got 0`);
    }
    const handler = handlerOf<T>(checkFn(params.decoder, 'params.decoder'), checkFn(params.messageHandler, 'params.messageHandler'));
    const stream = new DirectKinesisInputDStream<T>(ssc.graph, streamName, connection, handler, {
      initialPosition: position,
      ...(params.maxRatePerShard !== undefined ? { maxRatePerShard: params.maxRatePerShard } : {}),
      ...(params.backpressure !== undefined ? { backpressure: params.backpressure } : {}),
      ...(params.maxRecordsPerBatch !== undefined ? { maxRecordsPerBatch: params.maxRecordsPerBatch } : {}),
      ...(params.maxBytesPerBatch !== undefined ? { maxBytesPerBatch: params.maxBytesPerBatch } : {}),
      read: {
        ...(params.minReadInterval !== undefined ? { minReadIntervalMs: params.minReadInterval } : {}),
        ...(params.retryTimeout !== undefined ? { retryTimeoutMs: params.retryTimeout } : {}),
      },
    });
    ssc.addBatchHooks(stream.batchHooks);
    return stream;
  },
};
