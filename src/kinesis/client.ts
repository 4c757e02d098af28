/**
 * The one place that talks to the Kinesis API (via @aws-sdk/client-kinesis): the stream's
 * shards, shard iterators and GetRecords, with Kinesis's limits kept and its errors named.
 *
 * Limits: a shard serves 5 GetRecords calls a second and at most 10 000 records a call; calls on
 * one shard are spaced by `minReadIntervalMs` (default 200 ms). A
 * ProvisionedThroughputExceededException (the shard's read limit hit anyway, e.g. by another
 * consumer) backs off — 200 ms doubling up to 5 s — and retries, as do an unreachable endpoint,
 * throttling and server errors, until `retryTimeoutMs` has passed; then the call fails with a
 * KinesisStreamError naming the stream, the endpoint and the cause. A stream that does not exist
 * fails at once. close() aborts the calls in flight (the stream or receiver is stopping).
 *
 * Positions: where a read starts is a `StartPosition`: a shard's oldest record (TRIM_HORIZON),
 * records arriving from now on (LATEST), from a timestamp, or at / after a sequence number.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type ShardIteratorType,
  DescribeStreamSummaryCommand,
} from '@aws-sdk/client-kinesis';
import { sleep } from '../util/sleep.js';
import { checkConnection, kinesisClient, type KinesisConnection } from './connection.js';
import { deaggregate } from './aggregation.js';
import { awsErrorName, KinesisStreamError } from './errors.js';
import { withRetry } from './retry.js';
import { compareShardIds, type ShardInfo } from './shards.js';

/** One record as read from a shard. */
export interface KinesisRecord {
  shardId: string;
  sequenceNumber: string;
  /** A user record of a KPL aggregate (kinesis/aggregation.ts): its index in the Kinesis record, as the KCL's. */
  subSequenceNumber?: number;
  partitionKey: string;
  data: Uint8Array;
  approximateArrivalTimestamp?: Date | undefined;
}

export type StartPosition =
  | { type: 'TRIM_HORIZON' }
  | { type: 'LATEST' }
  | { type: 'AT_TIMESTAMP'; timestampMs: number }
  | { type: 'AT_SEQUENCE_NUMBER'; sequenceNumber: string }
  | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

export interface GetRecordsResult {
  records: KinesisRecord[];
  /** undefined once a closed shard has been read to its end. */
  nextIterator: string | undefined;
  millisBehindLatest: number;
}

export interface KinesisReadOptions {
  /** Give up a call after retrying this long (default 2 min). */
  retryTimeoutMs?: number;
  /** Least time between two GetRecords calls on one shard (default 200 ms: Kinesis's 5 reads/s). */
  minReadIntervalMs?: number;
}

export const MAX_RECORDS_PER_CALL = 10_000;

export class KinesisStreamClient {
  readonly connection: KinesisConnection;
  private readonly client: KinesisClient;
  private readonly retryTimeoutMs: number;
  private readonly minReadIntervalMs: number;
  /** When the next GetRecords call on a shard may go out (the per-shard read limit). */
  private readonly nextReadAt = new Map<string, number>();
  /** Calls that hit ProvisionedThroughputExceededException and were retried (figures, tests). */
  throttled = 0;
  private closed = false;
  /** Aborted by close(): calls in flight are cut short (a request to an endpoint that does not answer waits up to 30 s). */
  private readonly aborter = new AbortController();

  constructor(
    readonly streamName: string,
    connection: KinesisConnection,
    options: KinesisReadOptions = {},
    private readonly giveUp: () => boolean = () => false,
  ) {
    this.connection = checkConnection(connection);
    this.client = kinesisClient(this.connection);
    this.retryTimeoutMs = options.retryTimeoutMs ?? 120_000;
    this.minReadIntervalMs = options.minReadIntervalMs ?? 200;
  }

  /** "stream s at http://…": the words every error of this client carries. */
  get where(): string {
    return `Kinesis stream "${this.streamName}" at ${this.connection.endpointUrl}`;
  }

  /** Runs `op` with the transport's retry (see retry.ts), naming the stream and endpoint on failure. */
  private call<T>(what: string, op: (signal: AbortSignal) => Promise<T>, on?: 'stream'): Promise<T> {
    const signal = this.aborter.signal;
    return withRetry(() => op(signal), {
      where: this.where,
      what,
      on,
      timeoutMs: this.retryTimeoutMs,
      signal,
      giveUp: () => this.closed || this.giveUp(),
      onError: (e) => {
        if (awsErrorName(e) === 'ProvisionedThroughputExceededException') this.throttled++;
      },
    });
  }

  /** Fails with a clear error when the stream does not exist or the endpoint cannot be reached. */
  async checkStream(): Promise<void> {
    await this.call(
      'describing the stream',
      (signal) => this.client.send(new DescribeStreamSummaryCommand({ StreamName: this.streamName }), { abortSignal: signal }),
      'stream',
    );
  }

  /** Every shard of the stream, open and closed (still within retention), by shard id. */
  async listShards(): Promise<ShardInfo[]> {
    const out: ShardInfo[] = [];
    let token: string | undefined;
    do {
      const t = token;
      const r = await this.call(
        'listing the shards',
        (signal) => this.client.send(new ListShardsCommand(t ? { NextToken: t } : { StreamName: this.streamName }), { abortSignal: signal }),
        'stream',
      );
      for (const s of r.Shards ?? []) {
        out.push({
          shardId: s.ShardId!,
          parentShardId: s.ParentShardId,
          adjacentParentShardId: s.AdjacentParentShardId,
          startingSequenceNumber: s.SequenceNumberRange?.StartingSequenceNumber ?? '0',
          endingSequenceNumber: s.SequenceNumberRange?.EndingSequenceNumber,
          startingHashKey: s.HashKeyRange?.StartingHashKey,
          endingHashKey: s.HashKeyRange?.EndingHashKey,
        });
      }
      token = r.NextToken;
    } while (token);
    return out.sort((a, b) => compareShardIds(a.shardId, b.shardId));
  }

  async iterator(shardId: string, from: StartPosition): Promise<string> {
    const input: {
      StreamName: string;
      ShardId: string;
      ShardIteratorType: ShardIteratorType;
      StartingSequenceNumber?: string;
      Timestamp?: Date;
    } = { StreamName: this.streamName, ShardId: shardId, ShardIteratorType: from.type };
    if (from.type === 'AT_SEQUENCE_NUMBER' || from.type === 'AFTER_SEQUENCE_NUMBER') input.StartingSequenceNumber = from.sequenceNumber;
    if (from.type === 'AT_TIMESTAMP') input.Timestamp = new Date(Math.min(from.timestampMs, Date.now()));
    const r = await this.call(`getting an iterator for ${shardId} (${positionText(from)})`, (signal) =>
      this.client.send(new GetShardIteratorCommand(input), { abortSignal: signal }),
    );
    if (!r.ShardIterator) throw new KinesisStreamError(`${this.where}: no iterator for ${shardId} (${positionText(from)})`);
    return r.ShardIterator;
  }

  /** One GetRecords call (after the shard's read interval), at most `limit` records. */
  async getRecords(shardId: string, iterator: string, limit = MAX_RECORDS_PER_CALL): Promise<GetRecordsResult> {
    const r = await this.call(`reading ${shardId}`, async (signal) => {
      const wait = (this.nextReadAt.get(shardId) ?? 0) - Date.now();
      if (wait > 0) await sleep(wait, signal);
      this.nextReadAt.set(shardId, Date.now() + this.minReadIntervalMs);
      return this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.max(1, Math.min(MAX_RECORDS_PER_CALL, limit)) }), {
        abortSignal: signal,
      });
    });
    const records: KinesisRecord[] = [];
    for (const x of r.Records ?? []) {
      const record = {
        shardId,
        sequenceNumber: x.SequenceNumber!,
        partitionKey: x.PartitionKey ?? '',
        data: x.Data ?? new Uint8Array(0),
        approximateArrivalTimestamp: x.ApproximateArrivalTimestamp,
      };
      // A KPL aggregate: its user records one by one, as the KCL hands them over.
      const users = deaggregate(record.data);
      if (users === undefined) records.push(record);
      else users.forEach((u, k) => records.push({ ...record, subSequenceNumber: k, partitionKey: u.partitionKey, data: u.data }));
    }
    return { records, nextIterator: r.NextShardIterator ?? undefined, millisBehindLatest: r.MillisBehindLatest ?? 0 };
  }

  /** Forgets a shard that is read to its end (its read-interval entry), so what is kept per shard stays bounded. */
  forgetShard(shardId: string): void {
    this.nextReadAt.delete(shardId);
  }

  close(): void {
    this.closed = true;
    this.aborter.abort(new Error('the Kinesis client is closed (the stream is stopping)'));
    this.client.destroy();
  }
}

export function positionText(p: StartPosition): string {
  switch (p.type) {
    case 'AT_SEQUENCE_NUMBER':
      return `at ${p.sequenceNumber}`;
    case 'AFTER_SEQUENCE_NUMBER':
      return `after ${p.sequenceNumber}`;
    case 'AT_TIMESTAMP':
      return `from ${new Date(p.timestampMs).toISOString()}`;
    default:
      return p.type;
  }
}

/**
 * A position as text (a lease's checkpoint, a direct stream's checkpointed position): a sequence
 * number means after it; else TRIM_HORIZON, LATEST or AT_TIMESTAMP:<epoch ms>.
 */
export function positionOf(text: string): StartPosition {
  if (/^\d+$/.test(text)) return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: text };
  if (text.startsWith('AT_TIMESTAMP:')) return { type: 'AT_TIMESTAMP', timestampMs: Number(text.slice(13)) };
  if (text === 'LATEST') return { type: 'LATEST' };
  if (text === 'TRIM_HORIZON') return { type: 'TRIM_HORIZON' };
  throw new Error(`not a Kinesis position: "${text}"`);
}

/** The text of a position (see positionOf); AT_SEQUENCE_NUMBER has none. */
export function checkpointText(p: StartPosition): string {
  switch (p.type) {
    case 'AFTER_SEQUENCE_NUMBER':
      return p.sequenceNumber;
    case 'AT_TIMESTAMP':
      return `AT_TIMESTAMP:${p.timestampMs}`;
    case 'AT_SEQUENCE_NUMBER':
      throw new Error('AT_SEQUENCE_NUMBER positions are not checkpointed');
    default:
      return p.type;
  }
}
