/**
 * The Kafka source (seeds 000, 002, 004) with Spark's options and row schema: `key` and `value`
 * binary (Buffers), `topic`, `partition`, `offset`, `timestamp`, `timestampType`.
 *
 * Options: `kafka.bootstrap.servers` (required); one of `subscribe` (topics, comma-separated),
 * `subscribePattern` (a regex over topic names) or `assign` (`{"t":[0,1]}`); `startingOffsets`
 * `latest` (default) | `earliest` | JSON `{"t":{"0":23,"1":-2}}` (-2 earliest, -1 latest; every
 * subscribed partition must be named, as in Spark); `maxOffsetsPerTrigger` (records a batch,
 * split over partitions by their backlog); `failOnDataLoss` (default true, see below);
 * `kafka.isolation.level` `read_uncommitted` (default) | `read_committed` (records of aborted
 * transactions are left out); other `kafka.*` options go to the client (e.g.
 * `kafka.retry.timeout.ms`). Option names are case-insensitive (streaming/options.ts). As Spark's
 * KafkaSourceProvider.validateStreamOptions, load() refuses `kafka.auto.offset.reset` (use
 * `startingOffsets`), `kafka.key.deserializer`, `kafka.value.deserializer`,
 * `kafka.enable.auto.commit`, `kafka.interceptor.classes`, `endingOffsets` and
 * `endingOffsetsByTimestamp`, and warns about `kafka.group.id`.
 *
 * Offsets are Spark's JSON `{"topic":{"partition":offset}}`, the next offset to read; a batch is
 * each partition's range [start, end) read exactly, so a re-run batch reads the same records.
 * When things happen: start() resolves the starting offsets (unless the checkpoint has them);
 * each trigger looks up the latest offsets (partitions added since start from 0).
 *
 * Data loss (Spark's failOnDataLoss): a partition whose offset is past its log end (the topic
 * deleted and recreated, the broker's data lost), below its log start (records aged out by
 * retention or deleted), or that is gone. With failOnDataLoss true (the default) the trigger
 * fails, and so the query, with Spark's message; with false, a warning is logged and the
 * partition goes on from its log start (what Kafka still holds) — a gone one is dropped.
 */
import type { Admin } from 'kafkajs';
import { KafkaClient, type PartitionBounds } from '../../kafka/client.js';
import type { RawKafkaRecord } from '../../kafka/records.js';
import { resolveKafkaParams, tpKey, type KafkaParams } from '../../kafka/params.js';
import type { OffsetRange } from '../../kafka/OffsetRange.js';
import { AnalysisException } from '../errors.js';
import { StructField, StructType, Types } from '../types.js';
import type { Row } from '../values.js';
import {
  assignedPartitions,
  CUSTOM_GROUP_ID_ERROR_MESSAGE,
  parseBoolean,
  parseStarting,
  refuseStreamOptions,
  type KafkaOffsets,
  type Subscription,
} from './kafkaOptions.js';
import { registerSourceFormat } from './registry.js';
import { openingSignal, type Offset, type ReadLimits, type Source, type SourceProvider } from './Source.js';


export { CUSTOM_GROUP_ID_ERROR_MESSAGE, type KafkaOffsets } from './kafkaOptions.js';

export const KAFKA_SCHEMA = new StructType([
  new StructField('key', Types.BINARY),
  new StructField('value', Types.BINARY),
  new StructField('topic', Types.STRING),
  new StructField('partition', Types.INTEGER),
  new StructField('offset', Types.LONG),
  new StructField('timestamp', Types.TIMESTAMP),
  new StructField('timestampType', Types.INTEGER),
]);

/** Spark's KafkaSourceProvider.INSTRUCTION_FOR_FAIL_ON_DATA_LOSS_TRUE: ends the error of a query that fails on data loss. */
export const INSTRUCTION_FOR_FAIL_ON_DATA_LOSS_TRUE =
  'Some data may have been lost because they are not available in Kafka any more; either the data was aged out by Kafka or the topic may have been deleted ' +
  'before all the data in the topic was processed. If you don\'t want your streaming query to fail on such cases, set the source option "failOnDataLoss" to "false".';

/** Spark's INSTRUCTION_FOR_FAIL_ON_DATA_LOSS_FALSE: ends the warning of a query that goes on. */
export const INSTRUCTION_FOR_FAIL_ON_DATA_LOSS_FALSE =
  'Some data may have been lost because they are not available in Kafka any more; either the data was aged out by Kafka or the topic may have been deleted ' +
  'before all the data in the topic was processed. If you want your streaming query to fail on such cases, set the source option "failOnDataLoss" to "true".';

/** Records a Kafka source should have read are gone (failOnDataLoss true); Spark throws an IllegalStateException. */
export class KafkaDataLossError extends Error {
  override name = 'KafkaDataLossError';
}


/** Spark's TopicPartition.toString. */
const tpName = (topic: string, partition: number | string): string => `${topic}-${partition}`;

/** Records since start() a `latest` start looks through (more: the log end, as Spark's latest). */
const LATEST_SCAN = 10_000;
/** How far ahead of this machine a record's stamp may be and still count as produced since start(). */
const CLOCK_SLACK_MS = 1_000;

class KafkaSource implements Source {
  readonly schema = KAFKA_SCHEMA;
  private client: KafkaClient | undefined;
  private admin: Admin | undefined;
  private initial: KafkaOffsets | undefined;
  /** The query stopped while this source started: Kafka lookups that fail are not retried. */
  private stopping = false;

  constructor(
    readonly description: string,
    private readonly params: KafkaParams,
    private readonly subscription: Subscription,
    private readonly starting: 'earliest' | 'latest' | KafkaOffsets,
    private readonly maxOffsetsPerTrigger: number | undefined,
    private readonly failOnDataLoss: boolean,
    /** When start() was called (wall clock): `latest` is where each partition was then. */
    private readonly startedAtWallMs: number,
  ) {}

  private kafka(): KafkaClient {
    // An outage is told once when it starts and once when Kafka answers again (kafka/outage.ts).
    return (this.client ??= new KafkaClient(resolveKafkaParams(this.params), () => this.stopping, (m) => console.warn(`dstreams: ${m}`)));
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

  /** Every subscribed partition's [low, high) (`high`: the last stable offset). */
  private async bounds(): Promise<PartitionBounds[]> {
    const topics = await this.topics();
    if (topics.length === 0) return [];
    const all = await this.kafka().topicBounds(topics);
    const s = this.subscription;
    if (!('assign' in s)) return all;
    // An assigned partition the topic lacks fails the query (Spark's consumer times out on it): never read as nothing.
    const missing = Object.entries(s.assign).flatMap(([t, ps]) => ps.filter((p) => !all.some((b) => b.topic === t && b.partition === p)).map((p) => `${t}-${p}`));
    if (missing.length > 0) throw new AnalysisException(`Kafka source: assigned partition${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist`);
    return all.filter((b) => s.assign[b.topic]!.includes(b.partition));
  }

  /**
   * Spark's reportDataLoss: failOnDataLoss fails the trigger (and the query) with `message`;
   * otherwise a warning, and the caller goes on (`warn` false: the caller only plans, the batch
   * that skips the records warns).
   */
  private dataLoss(message: string, warn = true): void {
    if (this.failOnDataLoss) throw new KafkaDataLossError(`${message} ${INSTRUCTION_FOR_FAIL_ON_DATA_LOSS_TRUE}`);
    if (warn) console.warn(`Kafka source ${this.description}: ${message} ${INSTRUCTION_FOR_FAIL_ON_DATA_LOSS_FALSE}`);
  }

  /** The log end offsets (high watermarks) of the partitions whose `offsetOf` is above their last stable offset. */
  private async logEndsAbove(bounds: readonly PartitionBounds[], offsetOf: (b: PartitionBounds) => number): Promise<Map<string, number>> {
    const above = bounds.filter((b) => offsetOf(b) > b.high);
    return above.length === 0 ? new Map() : this.kafka().logEndOffsets(above);
  }

  async start(committed: Offset | undefined): Promise<void> {
    // stop() while the query opens (it does not wait): the lookups below still make their attempt
    // — a reachable broker answers, and the start is recorded as before — but a failed one is not
    // retried, so an unreachable broker ends the opening in one attempt, not the retry budget.
    const signal = openingSignal();
    const onAbort = (): void => void (this.stopping = true);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.resolveStart(committed);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async resolveStart(committed: Offset | undefined): Promise<void> {
    if (committed !== undefined) return;
    const bounds = await this.bounds();
    if (typeof this.starting === 'object') checkAllPartitions(this.starting, bounds);
    const wantsLatest = this.starting === 'latest' || (typeof this.starting === 'object' && Object.values(this.starting).some((ps) => Object.values(ps).includes(-1)));
    const atStart = wantsLatest ? await this.latestAtStart(bounds) : new Map<string, number>();
    const latest = (b: PartitionBounds): number => atStart.get(tpKey(b.topic, b.partition)) ?? b.high;
    const start: KafkaOffsets = {};
    for (const b of bounds) {
      let at = this.starting === 'earliest' ? b.low : latest(b);
      if (typeof this.starting === 'object') {
        const given = this.starting[b.topic]![String(b.partition)]!;
        at = given === -1 ? latest(b) : given === -2 ? b.low : given;
      }
      (start[b.topic] ??= {})[String(b.partition)] = at;
    }
    this.initial = start;
  }

  /**
   * `latest` as the log was when start() was called — start() returns before the source opens,
   * and a record produced after it returned is read, as `await start()` promised when it waited
   * for the opening. Spark's `latest` is the log end when the source opens, which loses such a
   * record. Kafka finds the first record stamped at or after start() (by timestamp); the records
   * from there to the end are taken only while they are stamped between start() and now (read
   * back from the end), so records already there but stamped ahead (a producer's clock ahead,
   * event times) are not read again. More than LATEST_SCAN records since then: the log end.
   */
  private async latestAtStart(bounds: readonly PartitionBounds[]): Promise<Map<string, number>> {
    const openedAt = Date.now();
    const byTime = await this.kafka().offsetsForTime([...new Set(bounds.map((b) => b.topic))], this.startedAtWallMs);
    const ranges: OffsetRange[] = [];
    const out = new Map<string, number>();
    for (const b of bounds) {
      const key = tpKey(b.topic, b.partition);
      out.set(key, b.high);
      const from = Math.max(b.low, byTime.get(key) ?? b.high);
      if (from < b.high && b.high - from <= LATEST_SCAN) ranges.push({ topic: b.topic, partition: b.partition, fromOffset: from, untilOffset: b.high });
    }
    if (ranges.length === 0) return out;
    const records = await this.kafka().readRaw(ranges, this.kafka().params.readCommitted ? { readCommitted: true } : {});
    ranges.forEach((r, i) => {
      const rs = records[i]!;
      let at = r.untilOffset;
      for (let j = rs.length - 1; j >= 0; j--) {
        const ts = rs[j]!.timestamp;
        if (ts < this.startedAtWallMs || ts > openedAt + CLOCK_SLACK_MS) break;
        at = rs[j]!.offset;
      }
      out.set(tpKey(r.topic, r.partition), at);
    });
    return out;
  }

  initialOffset(): Offset | undefined {
    return this.initial;
  }

  async latestOffset(start: Offset | undefined, limits: ReadLimits = {}): Promise<Offset | undefined> {
    const from = (start as KafkaOffsets | undefined) ?? this.initial ?? {};
    const bounds = await this.bounds();
    // Partitions of the start that Kafka no longer has (Spark: "... are gone").
    const known = new Set(bounds.map((b) => tpKey(b.topic, b.partition)));
    const gone = Object.entries(from).flatMap(([t, parts]) => Object.keys(parts).filter((p) => !known.has(tpKey(t, Number(p)))).map((p) => tpName(t, p)));
    if (gone.length > 0) this.dataLoss(`[${gone.join(', ')}] are gone. Some data may have been missed.`);
    // Where each partition's next batch starts: its offset, or — the records there lost and
    // failOnDataLoss false — its log start (the batch warns when it skips them).
    const offsetOf = (b: PartitionBounds): number => from[b.topic]?.[String(b.partition)] ?? 0;
    const logEnd = await this.logEndsAbove(bounds, offsetOf);
    const starts = bounds.map((b) => {
      const s = offsetOf(b);
      const end = logEnd.get(tpKey(b.topic, b.partition)) ?? b.high;
      if (s > end) {
        this.dataLoss(offsetChanged(b, s, end), false);
        return b.low;
      }
      if (s < b.low) {
        this.dataLoss(belowLogStart(b, s, from[b.topic]?.[String(b.partition)] === undefined), false);
        return b.low;
      }
      return s;
    });
    // Trigger.AvailableNow: no further than the offsets when it started (a partition new since: none).
    const cap = limits.upTo ? ((limits.upTo.end as KafkaOffsets | undefined) ?? {}) : undefined;
    const highs = bounds.map((b, i) => (cap ? Math.min(b.high, cap[b.topic]?.[String(b.partition)] ?? starts[i]!) : b.high));
    let backlog = 0;
    bounds.forEach((_b, i) => (backlog += Math.max(0, highs[i]! - starts[i]!)));
    const end: KafkaOffsets = {};
    const limit = limits.ignoreLimits ? undefined : this.maxOffsetsPerTrigger;
    bounds.forEach((b, i) => {
      const s = starts[i]!;
      const high = highs[i]!;
      // A position above the last stable offset but not past the log end (a transaction open): an empty range.
      let e = Math.max(s, high);
      if (limit !== undefined && backlog > limit && e > s) {
        // Spark's rate limit: each partition's share of the limit by its backlog, rounded up below 1.
        const prorate = (limit * (high - s)) / backlog;
        e = Math.min(high, s + (prorate < 1 ? Math.ceil(prorate) : Math.floor(prorate)));
      }
      (end[b.topic] ??= {})[String(b.partition)] = e;
    });
    // The first trigger reports the starting offsets as where it starts from.
    return Object.keys(end).length === 0 ? start : end;
  }

  async getBatch(start: Offset | undefined, end: Offset): Promise<Row[]> {
    const from = (start as KafkaOffsets | undefined) ?? this.initial ?? {};
    const wanted: OffsetRange[] = [];
    for (const [topic, parts] of Object.entries(end as KafkaOffsets)) {
      for (const [p, until] of Object.entries(parts)) {
        const fromOffset = from[topic]?.[p] ?? 0;
        // until < from: the partition was reset to its log start (failOnDataLoss false), checked below.
        if (until !== fromOffset) wanted.push({ topic, partition: Number(p), fromOffset, untilOffset: until });
      }
    }
    if (wanted.length === 0) return [];
    const ranges = await this.checkRanges(wanted, from);
    if (ranges.length === 0) return [];
    // kafka.isolation.level read_committed: records of aborted transactions are left out (ranges end at the last stable offset).
    const read = await this.kafka().readRaw(ranges, this.kafka().params.readCommitted ? { readCommitted: true } : {});
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
          timestampType: rec.timestampType,
        });
      }
    });
    return rows;
  }

  /**
   * The batch's ranges as Kafka holds them now (a batch re-run after a crash, or one planned
   * just before the records went): the records a range should read that are gone fail the batch
   * (failOnDataLoss), or are skipped with a warning — the range then reads what is left of it.
   */
  private async checkRanges(wanted: readonly OffsetRange[], from: KafkaOffsets): Promise<OffsetRange[]> {
    const bounds = await this.kafka().topicBounds([...new Set(wanted.map((r) => r.topic))]);
    const byKey = new Map(bounds.map((b) => [tpKey(b.topic, b.partition), b]));
    const rangeOf = new Map(wanted.map((r) => [tpKey(r.topic, r.partition), r]));
    const logEnd = await this.logEndsAbove(
      bounds.filter((b) => rangeOf.has(tpKey(b.topic, b.partition))),
      (b) => rangeOf.get(tpKey(b.topic, b.partition))!.untilOffset,
    );
    const ranges: OffsetRange[] = [];
    for (const r of wanted) {
      const key = tpKey(r.topic, r.partition);
      const b = byKey.get(key);
      if (!b) {
        this.dataLoss(`[${tpName(r.topic, r.partition)}] are gone. Some data may have been missed.`);
        continue;
      }
      let { fromOffset, untilOffset } = r;
      if (untilOffset < fromOffset) {
        this.dataLoss(offsetChanged(b, fromOffset, untilOffset));
        fromOffset = b.low;
      } else if (fromOffset < b.low) {
        this.dataLoss(belowLogStart(b, fromOffset, from[r.topic]?.[String(r.partition)] === undefined));
        fromOffset = b.low;
      }
      const end = Math.max(b.high, logEnd.get(key) ?? b.high);
      if (untilOffset > end) {
        this.dataLoss(
          `Partition ${tpName(r.topic, r.partition)}'s offsets [${r.fromOffset}, ${untilOffset}) of this batch go past its log end ${end} now; ` +
            'the topic may have been deleted and recreated, some data may have been missed.',
        );
        untilOffset = end;
      }
      if (untilOffset > fromOffset) ranges.push({ topic: r.topic, partition: r.partition, fromOffset, untilOffset });
    }
    return ranges;
  }

  async stop(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    await this.client?.close();
  }
}

/** Spark's message for an offset past the partition's log end (its log is not the one the offset was taken in). */
function offsetChanged(b: PartitionBounds, from: number, to: number): string {
  return `Partition ${tpName(b.topic, b.partition)}'s offset was changed from ${from} to ${to}, some data may have been missed.`;
}

/** An offset below the partition's log start: the records there were aged out (or deleted); an added partition that does not start at 0. */
function belowLogStart(b: PartitionBounds, offset: number, added: boolean): string {
  return added
    ? `Added partition ${tpName(b.topic, b.partition)} starts from ${b.low} instead of 0. Some data may have been missed.`
    : `Cannot fetch offset ${offset} of partition ${tpName(b.topic, b.partition)}: the earliest offset Kafka holds is ${b.low}, ` +
        `records in [${offset}, ${b.low}) are not available any more. Some data may have been missed.`;
}

/** Spark's assertion: JSON startingOffsets name every partition subscribed, and only those. */
function checkAllPartitions(starting: KafkaOffsets, bounds: readonly PartitionBounds[]): void {
  const assigned = bounds.map((b) => tpName(b.topic, b.partition));
  const specified = Object.entries(starting).flatMap(([t, parts]) => Object.keys(parts).map((p) => tpName(t, p)));
  const missing = assigned.filter((tp) => !specified.includes(tp));
  const unknown = specified.filter((tp) => !assigned.includes(tp));
  if (missing.length === 0 && unknown.length === 0) return;
  throw new AnalysisException(
    'If startingOffsets contains specific offsets, you must specify all TopicPartitions. Use -1 for latest, -2 for earliest, if you don\'t care. ' +
      (missing.length > 0 ? `Missing: ${missing.join(', ')}. ` : '') +
      (unknown.length > 0 ? `Not subscribed: ${unknown.join(', ')}. ` : '') +
      `Specified: [${specified.join(', ')}] Assigned: [${assigned.join(', ')}]`,
  );
}

registerSourceFormat('kafka', ({ options }) => {
  refuseStreamOptions(options);
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
  } else subscription = { assign: assignedPartitions(options.assign!) };
  if (options['kafka.group.id'] !== undefined) console.warn(`Kafka source: ${CUSTOM_GROUP_ID_ERROR_MESSAGE}`);
  const params: KafkaParams = { 'bootstrap.servers': servers };
  // Kafka's own property names are lower case: `kafka.Isolation.Level` is `isolation.level` (option names are case-insensitive).
  for (const [k, v] of Object.entries(options)) {
    const name = k.toLowerCase();
    if (name.startsWith('kafka.') && name !== 'kafka.bootstrap.servers') params[name.slice(6)] = v;
  }
  const max = options.maxOffsetsPerTrigger === undefined ? undefined : Number(options.maxOffsetsPerTrigger);
  if (max !== undefined && !(max > 0)) throw new AnalysisException(`maxOffsetsPerTrigger must be positive, got ${options.maxOffsetsPerTrigger}`);
  const starting = parseStarting(options.startingOffsets);
  const failOnDataLoss = parseBoolean('failOnDataLoss', options.failOnDataLoss, true);
  const isolation = options['kafka.isolation.level'];
  if (isolation !== undefined && isolation !== 'read_committed' && isolation !== 'read_uncommitted') {
    throw new AnalysisException(`kafka.isolation.level must be read_committed or read_uncommitted, got ${isolation}`);
  }
  const description = `KafkaV2[${'subscribe' in subscription ? `Subscribe[${subscription.subscribe.join(',')}]` : 'pattern' in subscription ? `SubscribePattern[${options.subscribePattern}]` : `Assign[${options.assign}]`}]`;
  const provider: SourceProvider & { schema: StructType } = {
    description,
    schema: KAFKA_SCHEMA,
    createSource: ({ startedAtWallMs }) => new KafkaSource(description, params, subscription, starting, max, failOnDataLoss, startedAtWallMs),
  };
  return provider;
});
