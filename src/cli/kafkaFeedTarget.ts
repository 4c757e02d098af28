/**
 * `dstreams feed --file F --kafka-topic T [--brokers B] [--lines-per-second N]`: the book's
 * step 19 (`while read line; …; done < shakespeare.txt | kafka-console-producer.sh --topic
 * shakespeare`) — each line of the file becomes one record (no key) of the topic, paced or at
 * full speed. The topic is created when missing (`--partitions`, default 1).
 */
import { Kafka, logLevel } from 'kafkajs';
import type { FeedTarget, FeedTargetProvider, Pacing } from './feed.js';
import { positiveInt, sendLines } from './feed.js';
import { checkTopics, parseBrokerList } from '../kafka/params.js';
import { waitForKafka } from '../kafka/reachable.js';
import { UsageError } from '../util/usage.js';

export interface KafkaFeedOptions {
  brokers: string;
  topic: string;
  /** Partitions of the topic when it has to be created (default 1). */
  partitions?: number;
}

export class KafkaFeedTarget implements FeedTarget {
  private stopped = false;
  private readonly brokers: string[];
  private readonly topic: string;
  /** Lines written so far. */
  sent = 0;

  constructor(private readonly opts: KafkaFeedOptions) {
    // Bad flag values are usage errors (exit 2), as every other flag's.
    try {
      this.brokers = parseBrokerList(opts.brokers, '--brokers list');
      this.topic = checkTopics([opts.topic], '--kafka-topic')[0]!;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }

  describe(): string {
    return `Kafka topic ${this.topic} at ${this.brokers.join(',')}`;
  }

  async run(lines: readonly string[], pacing: Pacing, log: (msg: string) => void): Promise<void> {
    // A broker that does not answer: a line at once and one per retry, then a ServiceUnreachableError.
    await waitForKafka(this.brokers);
    const kafka = new Kafka({
      clientId: 'dstreams-feed',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({
        topics: [{ topic: this.topic, numPartitions: this.opts.partitions ?? 1 }],
        waitForLeaders: true,
      });
      if (created) log(`created topic ${this.topic} (${this.opts.partitions ?? 1} partition${(this.opts.partitions ?? 1) > 1 ? 's' : ''})`);
    } finally {
      await admin.disconnect();
    }
    if (this.stopped) return;
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const n = await sendLines(
        lines,
        pacing,
        async (batch) => {
          await producer.send({ topic: this.topic, acks: -1, messages: batch.map((value) => ({ value })) });
          this.sent += batch.length;
        },
        () => this.stopped,
      );
      log(`sent ${n} lines to ${this.topic}`);
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
  }
}

export const kafkaTargetProvider: FeedTargetProvider = {
  addOptions(cmd) {
    cmd
      .option('--kafka-topic <topic>', 'write each line as a record of this Kafka topic (created when missing)')
      .option('--brokers <list>', 'Kafka brokers for --kafka-topic, host:port[,…] (default: $KAFKA_BROKERS or 127.0.0.1:9092)')
      .option('--partitions <n>', 'partitions of the --kafka-topic when it is created (default 1)', positiveInt);
  },
  create(opts) {
    if (opts.kafkaTopic === undefined) return undefined;
    return new KafkaFeedTarget({
      topic: opts.kafkaTopic as string,
      brokers: (opts.brokers as string | undefined) ?? (process.env.KAFKA_BROKERS || '127.0.0.1:9092'),
      ...(opts.partitions !== undefined ? { partitions: opts.partitions as number } : {}),
    });
  },
};
