/**
 * The Kafka source (seeds 000, 002, 004) with Spark's options and row schema: `key` and `value`
 * binary (Buffers), `topic`, `partition`, `offset`, `timestamp`, `timestampType`.
 *
 * Options: `kafka.bootstrap.servers` (required); one of `subscribe` (topics, comma-separated),
 * `subscribePattern` (a regex over topic names) or `assign` (`{"t":[0,1]}`); `startingOffsets`
 * `latest` (default) | `earliest` | JSON `{"t":{"0":23,"1":-2}}` (-2 earliest, -1 latest);
 * `maxOffsetsPerTrigger` (records a batch, split over partitions by their backlog); other
 * `kafka.*` options go to the client (e.g. `kafka.retry.timeout.ms`).
 *
 * Offsets are Spark's JSON `{"topic":{"partition":offset}}`, the next offset to read; a batch is
 * each partition's range [start, end) read exactly, so a re-run batch reads the same records.
 * When things happen: start() resolves the starting offsets (unless the checkpoint has them);
 * each trigger looks up the latest offsets (partitions added since start from 0).
 */
import type { Admin } from 'kafkajs';
import { KafkaClient } from '../../kafka/client.js';
import type { RawKafkaRecord } from '../../kafka/records.js';
import { resolveKafkaParams, type KafkaParams } from '../../kafka/params.js';
import type { OffsetRange } from '../../kafka/OffsetRange.js';
import { AnalysisException } from '../errors.js';
import { StructField, StructType, Types } from '../types.js';
import type { Row } from '../values.js';
import { registerSourceFormat } from './registry.js';
import type { Offset, ReadLimits, Source, SourceProvider } from './Source.js';

/** `{ topic: { partition: offset } }`, partitions as strings (Spark's JSON). */
export type KafkaOffsets = Record<string, Record<string, number>>;

export const KAFKA_SCHEMA = new StructType([
  new StructField('key', Types.BINARY),
  new StructField('value', Types.BINARY),
  new StructField('topic', Types.STRING),
  new StructField('partition', Types.INTEGER),
  new StructField('offset', Types.LONG),
  new StructField('timestamp', Types.TIMESTAMP),
  new StructField('timestampType', Types.INTEGER),
]);

type Subscription = { subscribe: string[] } | { pattern: RegExp } | { assign: Record<string, number[]> };

class KafkaSource implements Source {
  readonly schema = KAFKA_SCHEMA;
  private client: KafkaClient | undefined;
  private admin: Admin | undefined;
  private initial: KafkaOffsets | undefined;

  constructor(
    readonly description: string,
    private readonly params: KafkaParams,
    private readonly subscription: Subscription,
    private readonly starting: 'earliest' | 'latest' | KafkaOffsets,
    private readonly maxOffsetsPerTrigger: number | undefined,
  ) {}

  private kafka(): KafkaClient {
    return (this.client ??= new KafkaClient(resolveKafkaParams(this.params)));
  }

  private async topics(): Promise<string[]> {
    const s = this.subscription;
    if ('subscribe' in s) return s.subscribe;
    if ('assign' in s) return Object.keys(s.assign);
    if (!this.admin) {
      this.admin = this.kafka().kafka.admin();
      await this.admin.connect();
    }
    return (await this.admin.listTopics()).filter((t) => s.pattern.test(t) && !t.startsWith('__')).sort();
  }

  /** Every subscribed partition's [low, high). */
  private async bounds(): Promise<{ topic: string; partition: number; low: number; high: number }[]> {
    const topics = await this.topics();
    if (topics.length === 0) return [];
    const all = await this.kafka().topicBounds(topics);
    const s = this.subscription;
    return 'assign' in s ? all.filter((b) => s.assign[b.topic]?.includes(b.partition)) : all;
  }

  async start(committed: Offset | undefined): Promise<void> {
    if (committed !== undefined) return;
    const bounds = await this.bounds();
    const start: KafkaOffsets = {};
    for (const b of bounds) {
      let at = this.starting === 'earliest' ? b.low : b.high;
      if (typeof this.starting === 'object') {
        const given = this.starting[b.topic]?.[String(b.partition)];
        at = given === undefined || given === -1 ? b.high : given === -2 ? b.low : given;
      }
      (start[b.topic] ??= {})[String(b.partition)] = at;
    }
    this.initial = start;
  }

  initialOffset(): Offset | undefined {
    return this.initial;
  }

  async latestOffset(start: Offset | undefined, limits: ReadLimits = {}): Promise<Offset | undefined> {
    const from = (start as KafkaOffsets | undefined) ?? this.initial ?? {};
    const bounds = await this.bounds();
    const end: KafkaOffsets = {};
    let backlog = 0;
    for (const b of bounds) {
      const s = from[b.topic]?.[String(b.partition)] ?? 0;
      backlog += Math.max(0, b.high - s);
    }
    const limit = limits.ignoreLimits ? undefined : this.maxOffsetsPerTrigger;
    for (const b of bounds) {
      const s = from[b.topic]?.[String(b.partition)] ?? 0;
      let e = Math.max(s, b.high);
      if (limit !== undefined && backlog > limit && e > s) {
        // Spark's rate limit: each partition's share of the limit by its backlog, rounded up below 1.
        const prorate = (limit * (b.high - s)) / backlog;
        e = Math.min(b.high, s + (prorate < 1 ? Math.ceil(prorate) : Math.floor(prorate)));
      }
      (end[b.topic] ??= {})[String(b.partition)] = e;
    }
    // The first trigger reports the starting offsets as where it starts from.
    return Object.keys(end).length === 0 ? start : end;
  }

  async getBatch(start: Offset | undefined, end: Offset): Promise<Row[]> {
    const from = (start as KafkaOffsets | undefined) ?? this.initial ?? {};
    const ranges: OffsetRange[] = [];
    for (const [topic, parts] of Object.entries(end as KafkaOffsets)) {
      for (const [p, until] of Object.entries(parts)) {
        const fromOffset = from[topic]?.[p] ?? 0;
        if (until > fromOffset) ranges.push({ topic, partition: Number(p), fromOffset, untilOffset: until });
      }
    }
    if (ranges.length === 0) return [];
    const read = await this.kafka().readRaw(ranges);
    const rows: Row[] = [];
    ranges.forEach((r, i) => {
      for (const rec of read[i]! as RawKafkaRecord[]) {
        rows.push({
          key: rec.key,
          value: rec.value,
          topic: r.topic,
          partition: r.partition,
          offset: rec.offset,
          timestamp: new Date(rec.timestamp),
          timestampType: 0,
        });
      }
    });
    return rows;
  }

  async stop(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    await this.client?.close();
  }
}

function parseStarting(v: string | undefined): 'earliest' | 'latest' | KafkaOffsets {
  if (v === undefined || v.trim().toLowerCase() === 'latest') return 'latest';
  if (v.trim().toLowerCase() === 'earliest') return 'earliest';
  try {
    return JSON.parse(v) as KafkaOffsets;
  } catch {
    throw new AnalysisException(`startingOffsets must be 'earliest', 'latest' or JSON such as {"topic":{"0":23}}, got ${v}`);
  }
}

registerSourceFormat('kafka', ({ options }) => {
  const servers = options['kafka.bootstrap.servers'];
  if (!servers) throw new AnalysisException('Option \'kafka.bootstrap.servers\' must be specified for configuring Kafka consumer');
  const strategies = ['subscribe', 'subscribePattern', 'assign'].filter((k) => options[k] !== undefined);
  if (strategies.length !== 1) {
    throw new AnalysisException(
      `One of the following options must be specified for Kafka source: subscribe, subscribePattern, assign. See the docs for more details.${strategies.length > 1 ? ` (found ${strategies.join(', ')})` : ''}`,
    );
  }
  let subscription: Subscription;
  if (options.subscribe !== undefined) {
    const topics = options.subscribe.split(',').map((t) => t.trim()).filter(Boolean);
    if (topics.length === 0) throw new AnalysisException(`No topics to subscribe to as specified value for option 'subscribe' is '${options.subscribe}'`);
    subscription = { subscribe: topics };
  } else if (options.subscribePattern !== undefined) {
    subscription = { pattern: new RegExp(`^(?:${options.subscribePattern})$`) };
  } else subscription = { assign: JSON.parse(options.assign!) as Record<string, number[]> };
  const params: KafkaParams = { 'bootstrap.servers': servers };
  for (const [k, v] of Object.entries(options)) if (k.startsWith('kafka.') && k !== 'kafka.bootstrap.servers') params[k.slice(6)] = v;
  const max = options.maxOffsetsPerTrigger === undefined ? undefined : Number(options.maxOffsetsPerTrigger);
  if (max !== undefined && !(max > 0)) throw new AnalysisException(`maxOffsetsPerTrigger must be positive, got ${options.maxOffsetsPerTrigger}`);
  const starting = parseStarting(options.startingOffsets);
  const description = `KafkaV2[${'subscribe' in subscription ? `Subscribe[${subscription.subscribe.join(',')}]` : 'pattern' in subscription ? `SubscribePattern[${options.subscribePattern}]` : `Assign[${options.assign}]`}]`;
  const provider: SourceProvider & { schema: StructType } = {
    description,
    schema: KAFKA_SCHEMA,
    createSource: () => new KafkaSource(description, params, subscription, starting, max),
  };
  return provider;
});
