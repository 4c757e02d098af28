/**
 * writeStream.format('kafka') (seed 002), as Spark's Kafka sink: every row of a batch becomes a
 * record of its `value` column (string or binary, required; null: a record with a null value, a
 * tombstone) and optional `key` column, written to the `topic` option or, without it, to the
 * row's own `topic` column (a row whose topic is null fails the batch, before any record of it is
 * sent). Through an idempotent kafkajs producer (acks from all in-sync replicas, a retried
 * request not written twice). At least once, as Spark's Kafka sink: a batch re-run after a crash
 * writes its records again.
 *
 * A topic that does not exist yet is created by the broker when it allows it
 * (auto.create.topics.enable), as Spark's Java producer has it. When the broker does not, the
 * batch fails at once naming the topic (Spark's producer would wait max.block.ms, 60 s, for it).
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { checkTopics, parseBrokerList } from '../../kafka/params.js';
import { kafkaFor, produceRequests } from '../../kafka/produce.js';
import { missingTopicError } from '../../kafka/topics.js';
import { KafkaSinkError, mayBeTopicChange, topicChange, topicNow } from '../../sinks/kafka/errors.js';
import { kafkaBytes } from '../../sinks/kafka/records.js';
import { AnalysisException } from '../errors.js';
import type { StructType } from '../types.js';
import { Types } from '../types.js';
import { valueToString, type Row } from '../values.js';
import { registerSinkFormat } from './registry.js';
import type { BatchOutput, Sink } from './Sink.js';

/** A key or value as kafkajs takes it: bytes as they are, text, or null (the DStream sink's rule; other values as SQL prints them). */
const bytesOrText = (v: unknown): Buffer | string | null => kafkaBytes(v, valueToString);

/** Records a produce request takes at most (produceRequests also cuts it by bytes). */
const REQUEST_RECORDS = 5000;

export class StructuredKafkaSink implements Sink {
  readonly description: string;
  /** The `topic` option: every record goes there, whatever a `topic` column says (Spark's precedence). */
  private readonly topic: string | undefined;
  private readonly hasKey: boolean;
  private readonly brokers: string;
  private readonly clientId: string;
  private connecting: Promise<Producer> | undefined;
  private kafkaClient: Kafka | undefined;
  /** Topics known to exist or to be created on demand: checked once each. */
  private readonly checkedTopics = new Set<string>();
  /** Partitions of the checked topics that existed then: fewer later means deleted and re-created. */
  private readonly partitionsSeen = new Map<string, number>();
  private closed = false;

  constructor(options: Record<string, string>, schema: StructType) {
    const servers = options['kafka.bootstrap.servers'];
    if (!servers) throw new AnalysisException("Option 'kafka.bootstrap.servers' must be specified for the Kafka sink");
    this.brokers = parseBrokerList(servers, 'kafka.bootstrap.servers').join(',');
    const topic = options.topic?.trim() || undefined;
    if (topic !== undefined) checkTopics([topic], 'topic option');
    else {
      const column = schema.field('topic');
      if (!column) throw new AnalysisException("topic option required when no 'topic' attribute is present. Use the topic option for setting a topic.");
      if (column.dataType !== Types.STRING) {
        throw new AnalysisException(`topic attribute unsupported type ${column.dataType.simpleString()}. topic must be a string`);
      }
    }
    this.topic = topic;
    const value = schema.field('value');
    if (!value) throw new AnalysisException("Required attribute 'value' not found");
    if (value.dataType !== Types.STRING && value.dataType !== Types.BINARY) {
      throw new AnalysisException(`value attribute type must be a string or binary, got ${value.dataType.simpleString()}`);
    }
    const key = schema.field('key');
    if (key && key.dataType !== Types.STRING && key.dataType !== Types.BINARY && key.dataType !== Types.NULL) {
      throw new AnalysisException(`key attribute type must be a string or binary, got ${key.dataType.simpleString()}`);
    }
    this.hasKey = key !== undefined;
    this.clientId = options['kafka.client.id'] ?? 'dstreams-structured';
    this.description = `KafkaSink[${topic ?? 'topic column'}]`;
  }

  private producer(): Promise<Producer> {
    if (this.closed) return Promise.reject(new Error(`${this.description} is closed`));
    this.connecting ??= (async () => {
      // Its metadata requests may create a missing topic, as the Java producer's do.
      const producer = this.kafka().producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
      await producer.connect();
      return producer;
    })();
    this.connecting.catch(() => (this.connecting = undefined));
    return this.connecting;
  }

  private kafka(): Kafka {
    return (this.kafkaClient ??= kafkaFor(this.brokers, this.clientId));
  }

  /** Fails at once on a topic that does not exist and will not be created (see missingTopicError). */
  private async checkTopicsExist(topics: string[]): Promise<void> {
    const fresh = topics.filter((t) => !this.checkedTopics.has(t));
    if (fresh.length === 0) return;
    const admin = this.kafka().admin();
    await admin.connect();
    try {
      const error = await missingTopicError(admin, fresh, this.brokers);
      if (error) throw error;
      for (const t of fresh) {
        const now = await topicNow(admin, t);
        if (now) this.partitionsSeen.set(t, now.partitions);
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    for (const t of fresh) this.checkedTopics.add(t);
  }

  async addBatch(batch: BatchOutput): Promise<void> {
    // Every record is made (and its topic checked) before any is sent: a bad row fails the batch whole.
    const records: Array<{ topic: string; message: Message }> = batch.rows.map((r: Row) => {
      const topic = this.topic ?? r.topic;
      if (topic === null || topic === undefined) {
        throw new Error('null topic present in the data. Use the topic option for setting a default topic.');
      }
      return { topic: String(topic), message: { key: this.hasKey ? bytesOrText(r.key) : null, value: bytesOrText(r.value) } };
    });
    if (records.length === 0) return;
    const topics = [...new Set(records.map((r) => r.topic))];
    checkTopics(topics, 'the topic column');
    await this.checkTopicsExist(topics);
    const producer = await this.producer();
    // Requests in row order; within one, each topic's records keep their order.
    for (const request of produceRequests(records, (r) => r.message, REQUEST_RECORDS)) {
      const byTopic = new Map<string, Message[]>();
      for (const { topic, message } of request) {
        let l = byTopic.get(topic);
        if (!l) byTopic.set(topic, (l = []));
        l.push(message);
      }
      await producer
        .sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })), acks: -1 })
        .catch(async (e: unknown) => {
          throw (mayBeTopicChange(e) && (await this.topicChanged([...byTopic.keys()], e))) || e;
        });
    }
  }

  /**
   * Kafka's refusal explained when one of `topics` was deleted (and maybe re-created with fewer
   * partitions) under the sink; the producer, whose sequence numbers belong to the old topic, is
   * dropped and the topic checked again by the next batch.
   */
  private async topicChanged(topics: string[], err: unknown): Promise<KafkaSinkError | undefined> {
    const admin = this.kafka().admin();
    try {
      await admin.connect();
      for (const t of topics) {
        const change = topicChange({ partitions: this.partitionsSeen.get(t), written: new Map() }, await topicNow(admin, t));
        if (change === undefined) continue;
        this.checkedTopics.delete(t);
        this.partitionsSeen.delete(t);
        const producer = await this.connecting?.catch(() => undefined);
        this.connecting = undefined;
        await producer?.disconnect().catch(() => undefined);
        const message = `${this.description} could not write to topic ${t} (brokers ${this.brokers}): ${err instanceof Error ? err.message : String(err)}. ${change}`;
        return new KafkaSinkError(message, t, this.brokers, err);
      }
      return undefined;
    } catch {
      return undefined; // the metadata could not be read: Kafka's own error stands
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const producer = await this.connecting?.catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }
}

registerSinkFormat('kafka', () => (args) => new StructuredKafkaSink(args.options, args.schema));
