/**
 * writeStream.format('kafka') (seed 002): every row of a batch becomes a record of
 * option('topic'), its `value` column (string or binary, required) and optional `key` column,
 * through the project's idempotent KafkaSink. At least once, as Spark's Kafka sink: a batch
 * re-run after a crash writes its records again.
 */
import { KafkaSink } from '../../sinks/kafka/KafkaSink.js';
import { AnalysisException } from '../errors.js';
import type { StructType } from '../types.js';
import { Types } from '../types.js';
import { valueToString, type Row } from '../values.js';
import { registerSinkFormat } from './registry.js';
import type { BatchOutput, Sink } from './Sink.js';

function bytesOrText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  // kafkajs takes Buffers as they are.
  return Buffer.isBuffer(v) ? (v as unknown as string) : valueToString(v);
}

export class StructuredKafkaSink implements Sink {
  readonly description: string;
  private readonly sink: KafkaSink<Row>;
  constructor(options: Record<string, string>, schema: StructType) {
    const servers = options['kafka.bootstrap.servers'];
    if (!servers) throw new AnalysisException("Option 'kafka.bootstrap.servers' must be specified for the Kafka sink");
    const topic = options.topic;
    if (!topic) throw new AnalysisException("topic option required when no 'topic' attribute is present. Use the topic option for setting a topic.");
    const value = schema.field('value');
    if (!value) throw new AnalysisException("Required attribute 'value' not found");
    if (value.dataType !== Types.STRING && value.dataType !== Types.BINARY) {
      throw new AnalysisException(`value attribute type must be a string or binary, got ${value.dataType.simpleString()}`);
    }
    const hasKey = schema.field('key') !== undefined;
    this.description = `KafkaSink[${topic}]`;
    this.sink = new KafkaSink<Row>({
      brokers: servers,
      topic,
      key: (r) => (hasKey ? bytesOrText(r.key) : null),
      value: (r) => bytesOrText(r.value) ?? '',
      clientId: options['kafka.client.id'] ?? 'dstreams-structured',
    });
  }
  async addBatch(batch: BatchOutput): Promise<void> {
    await this.sink.write(batch.rows);
  }
  async close(): Promise<void> {
    await this.sink.close();
  }
}

registerSinkFormat('kafka', () => (args) => new StructuredKafkaSink(args.options, args.schema));
