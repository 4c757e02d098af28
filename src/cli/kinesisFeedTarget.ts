/**
 * `dstreams feed --file F --kinesis-stream S [--kinesis-endpoint URL] [--region R] [--shards N]`:
 * each line of the file becomes one record of the Kinesis stream (the book's Kafka step 19,
 * through Kinesis), paced or at full speed. The stream is created when missing (`--shards`,
 * default 1). Credentials: AWS's usual environment variables; none needed for a local endpoint.
 */
import type { Command } from 'commander';
import { KinesisProducer } from '../kinesis/producer.js';
import { positiveInt, sendLines, type FeedTarget, type FeedTargetProvider, type Pacing } from './feed.js';

export interface KinesisFeedOptions {
  streamName: string;
  endpointUrl: string;
  regionName: string;
  /** Shards of the stream when it has to be created (default 1). */
  shards?: number;
}

export class KinesisFeedTarget implements FeedTarget {
  private stopped = false;
  private readonly producer: KinesisProducer;
  /** Lines written so far. */
  sent = 0;

  constructor(private readonly opts: KinesisFeedOptions) {
    this.producer = new KinesisProducer(opts.streamName, {
      endpointUrl: opts.endpointUrl,
      regionName: opts.regionName,
      awsAccessKeyId: process.env.AWS_ACCESS_KEY_ID,
      awsSecretKey: process.env.AWS_SECRET_ACCESS_KEY,
    });
  }

  describe(): string {
    return `Kinesis stream ${this.opts.streamName} at ${this.producer.connection.endpointUrl}`;
  }

  async run(lines: readonly string[], pacing: Pacing, log: (msg: string) => void): Promise<void> {
    const shards = this.opts.shards ?? 1;
    try {
      if (await this.producer.ensureStream(shards)) log(`created stream ${this.opts.streamName} (${shards} shard${shards > 1 ? 's' : ''})`);
      if (this.stopped) return;
      const n = await sendLines(
        lines,
        pacing,
        async (batch) => {
          await this.producer.putLines(batch);
          this.sent += batch.length;
        },
        () => this.stopped,
      );
      log(`sent ${n} lines to ${this.opts.streamName}`);
    } finally {
      this.producer.close();
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
  }
}

export const kinesisTargetProvider: FeedTargetProvider = {
  addOptions(cmd: Command) {
    cmd
      .option('--kinesis-stream <name>', 'put each line as a record of this Kinesis stream (created when missing)')
      .option('--kinesis-endpoint <url>', 'Kinesis endpoint for --kinesis-stream (default: $KINESIS_ENDPOINT or AWS\'s for the region)')
      .option('--region <name>', 'AWS region for --kinesis-stream (default: $AWS_REGION or us-east-1)')
      .option('--shards <n>', 'shards of the --kinesis-stream when it is created (default 1)', positiveInt);
  },
  create(opts) {
    if (opts.kinesisStream === undefined) return undefined;
    const region = (opts.region as string | undefined) ?? (process.env.AWS_REGION || 'us-east-1');
    return new KinesisFeedTarget({
      streamName: opts.kinesisStream as string,
      regionName: region,
      endpointUrl: (opts.kinesisEndpoint as string | undefined) ?? (process.env.KINESIS_ENDPOINT || `https://kinesis.${region}.amazonaws.com`),
      ...(opts.shards !== undefined ? { shards: opts.shards as number } : {}),
    });
  },
};
