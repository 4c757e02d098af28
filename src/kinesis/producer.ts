/**
 * Putting records into a stream (the feed command's Kinesis target): PutRecords in requests of
 * at most 500 records and 5 MiB, entries Kinesis refused (ProvisionedThroughputExceeded, internal
 * failures) put again with back-off, in order. The stream is created when missing.
 *
 * Errors: a call that fails for a reason a retry may fix (the endpoint down, throttling, a server
 * error: retry.ts's isTransient) is retried with back-off for 2 minutes; any other (a missing
 * stream, a request Kinesis rejects, bad credentials) fails at once. A line over Kinesis's 1 MiB
 * of data a record is refused before anything of its call is sent, the error
 * naming which record it is and its size.
 */
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { sleep } from '../util/sleep.js';
import { checkConnection, kinesisClient, type KinesisConnection } from './connection.js';
import { awsErrorName, describeAwsError, isTransient, KinesisStreamError } from './errors.js';

const MAX_RECORDS = 500;
const MAX_BYTES = 5 * 1024 * 1024;
/** Kinesis's limit on one record's data (PutRecordsRequestEntry.Data, before base64). */
export const MAX_RECORD_BYTES = 1024 * 1024;

export class KinesisProducer {
  private readonly client: KinesisClient;
  readonly connection: KinesisConnection;
  private seq = 0;

  constructor(
    readonly streamName: string,
    connection: KinesisConnection,
  ) {
    this.connection = checkConnection(connection);
    this.client = kinesisClient(this.connection);
  }

  private get where(): string {
    return `Kinesis stream "${this.streamName}" at ${this.connection.endpointUrl}`;
  }

  /** Creates the stream with `shards` shards unless it exists; waits until it is ACTIVE. True when created. */
  async ensureStream(shards: number): Promise<boolean> {
    let created = false;
    try {
      await this.client.send(new CreateStreamCommand({ StreamName: this.streamName, ShardCount: shards }));
      created = true;
    } catch (e) {
      if (awsErrorName(e) !== 'ResourceInUseException') throw new KinesisStreamError(`${this.where}: creating the stream failed: ${describeAwsError(e)}`, e);
    }
    const t0 = Date.now();
    for (;;) {
      const r = await this.client.send(new DescribeStreamSummaryCommand({ StreamName: this.streamName })).catch((e: unknown) => {
        throw new KinesisStreamError(`${this.where}: describing the stream failed: ${describeAwsError(e)}`, e);
      });
      if (r.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return created;
      if (Date.now() - t0 > 120_000) throw new KinesisStreamError(`${this.where}: the stream did not become ACTIVE`);
      await sleep(200);
    }
  }

  /**
   * Puts one record per line (UTF-8), partition keys spreading them over the shards. A line over
   * Kinesis's 1 MiB a record fails the call before any of its lines is sent.
   */
  async putLines(lines: readonly string[]): Promise<void> {
    const records = lines.map((line, i) => {
      const data = Buffer.from(line, 'utf8');
      const key = String(this.seq + i);
      if (data.length > MAX_RECORD_BYTES) {
        const n = this.seq + i + 1;
        throw new KinesisStreamError(
          `${this.where}: line ${n} (record ${n} put by this producer, starting ${JSON.stringify(line.slice(0, 20))}) is ` +
            `${data.length} bytes; a Kinesis record holds at most ${MAX_RECORD_BYTES} bytes (1 MiB) — nothing of this call was sent`,
        );
      }
      return { data, key };
    });
    this.seq += lines.length;
    let batch: PutRecordsRequestEntry[] = [];
    let bytes = 0;
    for (const { data, key } of records) {
      if (batch.length === MAX_RECORDS || bytes + data.length + key.length > MAX_BYTES) {
        await this.put(batch);
        batch = [];
        bytes = 0;
      }
      batch.push({ Data: data, PartitionKey: key });
      bytes += data.length + key.length;
    }
    if (batch.length > 0) await this.put(batch);
  }

  private async put(entries: PutRecordsRequestEntry[]): Promise<void> {
    let todo = entries;
    let backoff = 100;
    const t0 = Date.now();
    while (todo.length > 0) {
      let failed: PutRecordsRequestEntry[];
      try {
        const r = await this.client.send(new PutRecordsCommand({ StreamName: this.streamName, Records: todo }));
        const results = r.Records ?? [];
        failed = todo.filter((_, i) => results[i]?.ErrorCode !== undefined && results[i]?.ErrorCode !== null);
      } catch (e) {
        // Only what a retry may fix is retried: a rejected request or bad credentials fail now.
        if (!isTransient(e) || Date.now() - t0 > 120_000) {
          throw new KinesisStreamError(`${this.where}: putting ${todo.length} records failed: ${describeAwsError(e)}`, e);
        }
        failed = todo;
      }
      if (failed.length === 0) return;
      if (Date.now() - t0 > 120_000) throw new KinesisStreamError(`${this.where}: ${failed.length} records were refused for 2 minutes`);
      todo = failed;
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 5000);
    }
  }

  close(): void {
    this.client.destroy();
  }
}
