/**
 * The Kafka side of the direct approach, on kafkajs: partition discovery and offsets (the admin
 * client's `fetchTopicOffsets`), consumer-group offsets (`fetchOffsets`, and OffsetCommit
 * requests), and reading exact offset ranges with Fetch requests.
 *
 * kafkajs has no `assign()` (manual partition assignment): its consumer always joins a group,
 * subscribes and owns its positions, which cannot read "exactly [from, until) of partition p"
 * without a rebalance per batch. So ranges are read, as Spark's executors do, with Fetch requests
 * sent straight to each partition's leader, through kafkajs's own cluster layer (connection
 * pools, metadata, protocol encoding and record-batch decoding, compression) — the layer its
 * consumer uses. That layer is internal to kafkajs 2.x: `internalCluster()` below is the one
 * place that reaches it, and fails with a clear error if a kafkajs version does not have it.
 * Offsets are committed the same way (OffsetCommit with generation -1, as a "simple" consumer
 * group, like Spark's commitAsync), because kafkajs's admin can only set a group's offsets by
 * joining it.
 *
 * Over 400 lines on purpose: this file is the boundary around kafkajs internals, so everything
 * that touches them (metadata, offsets lookups, fetches, commits) stays in this one file.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { abortedIn, type AbortedTransaction } from './aborted.js';
import type { OffsetRange } from './OffsetRange.js';
import { tpKey, type ResolvedKafkaParams } from './params.js';
import { FatalKafkaError, withRetry } from './retry.js';

/** One Kafka record as the streams hand it over: `[key, value]` decoded as UTF-8, key `null` when absent. */
export type KafkaRecord = [string | null, string];

/** A key or value decoder (PySpark's keyDecoder/valueDecoder): the record's bytes, `null` when absent. */
export type Decoder<T> = (bytes: Buffer | null) => T;

/** The decoders a read applies; a missing one decodes as UTF-8 (key `null` when absent, value `''`). */
export interface RecordDecoders<K, V> {
  keyDecoder?: Decoder<K> | undefined;
  valueDecoder?: Decoder<V> | undefined;
}

/** A key or value decoder threw: names the record, so the batch fails with where the bad record is. */
export class RecordDecodeError extends FatalKafkaError {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  constructor(which: 'keyDecoder' | 'valueDecoder', topic: string, partition: number, offset: number, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`${which} failed on the record at ${topic}:${partition} offset ${offset}: ${why}`, cause);
    this.name = 'RecordDecodeError';
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
  }
}

/** The earliest and latest (log-end) offsets of a partition. */
export interface PartitionBounds {
  topic: string;
  partition: number;
  low: number;
  high: number;
}

// ---- the parts of kafkajs's internal cluster layer used here ----------------------------------

interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp?: string;
  isControlRecord?: boolean;
  batchContext?: { producerId: string; inTransaction: boolean };
}

/** A record undecoded, with its offset and timestamp (Structured Streaming's Kafka rows): `readRaw`. */
export interface RawKafkaRecord {
  key: Buffer | null;
  value: Buffer | null;
  offset: number;
  /** ms since the epoch (the record's CreateTime or LogAppendTime). */
  timestamp: number;
}

function rawRecord(m: FetchedMessage): RawKafkaRecord {
  return { key: m.key, value: m.value, offset: Number(m.offset), timestamp: Number(m.timestamp ?? 0) };
}

interface FetchResponse {
  responses: Array<{
    topicName: string;
    partitions: Array<{
      partition: number;
      errorCode: number;
      highWatermark: string;
      messages: FetchedMessage[];
      abortedTransactions?: AbortedTransaction[];
    }>;
  }>;
}

interface InternalBroker {
  fetch(request: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
  }): Promise<FetchResponse>;
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  }): Promise<{ responses: Array<{ topic: string; partitions: Array<{ partition: number; errorCode: number }> }> }>;
}

interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(o: { nodeId: string }): Promise<InternalBroker>;
  findGroupCoordinator(o: { groupId: string }): Promise<InternalBroker>;
}

const READ_UNCOMMITTED = 0;
const READ_COMMITTED = 1;

function internalCluster(kafka: Kafka): InternalCluster {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = sym ? (kafka as unknown as Record<symbol, unknown>)[sym] : undefined;
  if (typeof create !== 'function') {
    throw new FatalKafkaError(
      'this kafkajs version does not have the cluster layer dstreams reads offset ranges with (kafkajs 2.x has it)',
    );
  }
  return (create as (o: object) => InternalCluster).call(kafka, {
    metadataMaxAge: 300_000,
    allowAutoTopicCreation: false,
    maxInFlightRequests: null,
    isolationLevel: READ_UNCOMMITTED,
  });
}

/** Like Promise.all, but settles only once every promise has (no loop keeps running after a failure). */
async function settleAll(ps: Promise<unknown>[]): Promise<void> {
  const rs = await Promise.allSettled(ps);
  for (const r of rs) if (r.status === 'rejected') throw r.reason;
}

function decodeRecord(m: FetchedMessage): KafkaRecord {
  return [m.key === null ? null : m.key.toString('utf8'), m.value === null ? '' : m.value.toString('utf8')];
}

const utf8Key: Decoder<string | null> = (b) => (b === null ? null : b.toString('utf8'));
const utf8Value: Decoder<string> = (b) => (b === null ? '' : b.toString('utf8'));

/** decodeRecord with user decoders, for one partition: a decoder that throws fails the read with a RecordDecodeError. */
function userDecoder<K, V>(d: RecordDecoders<K, V>, topic: string, partition: number): (m: FetchedMessage) => [K, V] {
  const keyOf = (d.keyDecoder ?? utf8Key) as Decoder<K>;
  const valueOf = (d.valueDecoder ?? utf8Value) as Decoder<V>;
  return (m) => {
    let key: K;
    try {
      key = keyOf(m.key);
    } catch (e) {
      throw new RecordDecodeError('keyDecoder', topic, partition, Number(m.offset), e);
    }
    try {
      return [key, valueOf(m.value)];
    } catch (e) {
      throw new RecordDecodeError('valueDecoder', topic, partition, Number(m.offset), e);
    }
  };
}

/** A part of one offset range being read. */
interface Cursor {
  topic: string;
  partition: number;
  next: number;
  until: number;
  out: unknown[];
  /** How a fetched record becomes an element of `out` (decodeRecord, userDecoder, or rawRecord for readRaw). */
  decode: (m: FetchedMessage) => unknown;
  /** Bytes of the keys and values in `out`. */
  bytes: number;
  /** Fetches in a row that returned nothing for this cursor, or for any cursor of the request. */
  idle: number;
  /** The least this cursor asks for: doubled after each fetch that returned it nothing below the log end. */
  minAsk: number;
  lastHighWatermark: number;
  /** Read committed: records of aborted transactions are left out (ReadOptions.readCommitted). */
  committed: boolean;
}

export interface ReadOptions {
  /** Fetch loops run at once; each range of more than `minSliceRecords` is read in that many slices. */
  concurrency?: number;
  minSliceRecords?: number;
  /**
   * Leave out records of aborted transactions (Kafka's READ_COMMITTED), for topics written by
   * transactional producers (a scaled-out job's internal topics). Ranges must end at or before
   * the last stable offset, as the `high` of topicBounds does.
   */
  readCommitted?: boolean;
}

/**
 * One connection to a Kafka cluster for a stream or a createRDD call. Every operation retries
 * with back-off as `params.retryTimeoutMs` / `topicWaitMs` allow (see retry.ts).
 */
export class KafkaClient {
  readonly kafka: Kafka;
  private admin: Admin | undefined;
  private cluster: InternalCluster | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private readonly abort = new AbortController();
  /** Bytes per record seen so far (sizes fetch requests of small slices). */
  private bytesPerRecord = 128;
  private readonly fetchGates = new Map<string, Promise<void>>();
  /** Figures: fetch requests sent, records Kafka returned (including those outside the ranges, dropped). */
  readonly stats = { fetches: 0, fetchedRecords: 0 };

  constructor(
    readonly params: ResolvedKafkaParams,
    private readonly shouldStop: () => boolean = () => false,
  ) {
    this.kafka = new Kafka({
      clientId: params.clientId,
      brokers: params.brokers,
      // KAFKAJS_LOG_LEVEL (e.g. "warn") turns kafkajs's own logging on.
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 30_000,
      // kafkajs gives up quickly; withRetry (retry.ts) decides how long a batch waits.
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  /** Aborted when the client is closed. */
  private get signal(): AbortSignal {
    return this.abort.signal;
  }

  /**
   * Runs `op`, retrying as the params allow. A first attempt always runs (a graceful stop still
   * finishes its batches); once the owner is stopping (`shouldStop`), a failure is not retried.
   */
  private retry<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`${what}: the Kafka client is closed`));
    return withRetry(
      async () => {
        await this.connect();
        return op();
      },
      {
        what: `${what} (Kafka ${this.params.brokers.join(',')})`,
        timeoutMs: this.params.retryTimeoutMs,
        topicWaitMs: this.params.topicWaitMs,
        signal: this.signal,
        giveUp: this.shouldStop,
        onRetry: async () => {
          await this.cluster?.refreshMetadata().catch(() => undefined);
        },
      },
    );
  }

  private connect(): Promise<void> {
    this.connecting ??= (async () => {
      const admin = this.kafka.admin();
      const cluster = internalCluster(this.kafka);
      try {
        await admin.connect();
        await cluster.connect();
      } catch (e) {
        await admin.disconnect().catch(() => undefined);
        await cluster.disconnect().catch(() => undefined);
        throw e;
      }
      this.admin = admin;
      this.cluster = cluster;
    })();
    this.connecting.catch(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Every partition of `topics` with its earliest and latest offsets; a missing topic is an error (after `topicWaitMs`). */
  topicBounds(topics: readonly string[]): Promise<PartitionBounds[]> {
    return this.retry(`looking up the offsets of ${JSON.stringify(topics)}`, async () => {
      const admin = this.admin!;
      const per = await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t)));
      const out: PartitionBounds[] = [];
      topics.forEach((topic, i) => {
        const parts = [...per[i]!].sort((a, b) => a.partition - b.partition);
        if (parts.length === 0) throw Object.assign(new Error(`topic ${topic} has no partitions`), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
        for (const p of parts) out.push({ topic, partition: p.partition, low: Number(p.low), high: Number(p.high) });
      });
      return out;
    });
  }

  /**
   * Creates the topics that do not exist yet (a scaled-out job's internal topics) and checks
   * that every one has the partition count asked for.
   */
  ensureTopics(specs: ReadonlyArray<{ topic: string; numPartitions: number; config?: Record<string, string> }>): Promise<void> {
    if (specs.length === 0) return Promise.resolve();
    return this.retry(`creating topics ${JSON.stringify(specs.map((s) => s.topic))}`, async () => {
      const admin = this.admin!;
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.topic));
      if (missing.length > 0) {
        await admin
          .createTopics({
            waitForLeaders: true,
            topics: missing.map((s) => ({
              topic: s.topic,
              numPartitions: s.numPartitions,
              configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
            })),
          })
          .catch(async (e: unknown) => {
            // Another copy created them at the same moment: fine once they all exist.
            const now = new Set(await admin.listTopics());
            if (!missing.every((s) => now.has(s.topic))) throw e;
          });
      }
      const meta = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
      for (const s of specs) {
        const n = meta.topics.find((t) => t.name === s.topic)?.partitions.length;
        if (n !== s.numPartitions) {
          throw new FatalKafkaError(
            `topic ${s.topic} has ${n} partitions, the job needs ${s.numPartitions}: delete it (it is internal to the job) or keep the partition count`,
          );
        }
      }
    });
  }

  /** The offsets `groupId` committed for `topics` (partitions without a commit are left out). */
  committedOffsets(groupId: string, topics: readonly string[]): Promise<Map<string, number>> {
    return this.retry(`looking up the offsets group ${groupId} committed`, async () => {
      const res = await this.admin!.fetchOffsets({ groupId, topics: [...topics] });
      const out = new Map<string, number>();
      for (const t of res) {
        for (const p of t.partitions) {
          const o = Number(p.offset);
          if (Number.isSafeInteger(o) && o >= 0) out.set(tpKey(t.topic, p.partition), o);
        }
      }
      return out;
    });
  }

  /** Commits `offsets` (`"topic:partition"` → next offset to read) for `groupId`. */
  commit(groupId: string, offsets: ReadonlyMap<string, { topic: string; partition: number; offset: number }>): Promise<void> {
    if (offsets.size === 0) return Promise.resolve();
    const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
    for (const { topic, partition, offset } of offsets.values()) {
      let l = byTopic.get(topic);
      if (!l) byTopic.set(topic, (l = []));
      l.push({ partition, offset: String(offset) });
    }
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    return this.retry(`committing offsets for group ${groupId}`, async () => {
      const coordinator = await this.cluster!.findGroupCoordinator({ groupId });
      const res = await coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics });
      for (const t of res.responses) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) {
            throw Object.assign(new Error(`OffsetCommit of ${t.topic}:${p.partition} failed with Kafka error code ${p.errorCode}`), {
              code: p.errorCode,
            });
          }
        }
      }
    });
  }

  /**
   * The records of each range, exactly: offsets `[fromOffset, untilOffset)` in order (control
   * records of transactions left out), whatever was written after `untilOffset` ignored.
   */
  async read(ranges: readonly OffsetRange[], options: ReadOptions = {}): Promise<KafkaRecord[][]> {
    return (await this.readSized(ranges, options)).records;
  }

  /** As `read`, the records undecoded (Buffers) with their offsets and timestamps. */
  async readRaw(ranges: readonly OffsetRange[], options: ReadOptions = {}): Promise<RawKafkaRecord[][]> {
    return (await this.readDecoded(ranges, options, () => rawRecord)).records;
  }

  /**
   * `read`, and the bytes of the keys and values read (a batch's size for listeners and the
   * default cap). With decoders, each record is decoded by them as it is read (UTF-8 without:
   * the fused default path); a decoder that throws fails the read with a RecordDecodeError.
   */
  readSized(ranges: readonly OffsetRange[], options?: ReadOptions): Promise<{ records: KafkaRecord[][]; bytes: number }>;
  readSized<K, V>(
    ranges: readonly OffsetRange[],
    options: ReadOptions | undefined,
    decoders: RecordDecoders<K, V> | undefined,
  ): Promise<{ records: [K, V][][]; bytes: number }>;
  readSized<K, V>(
    ranges: readonly OffsetRange[],
    options: ReadOptions = {},
    decoders?: RecordDecoders<K, V>,
  ): Promise<{ records: [K, V][][]; bytes: number }> {
    const custom = decoders !== undefined && (decoders.keyDecoder !== undefined || decoders.valueDecoder !== undefined);
    const decodeFor = custom
      ? (topic: string, partition: number) => userDecoder(decoders, topic, partition)
      : () => decodeRecord as unknown as (m: FetchedMessage) => [K, V];
    return this.readDecoded(ranges, options, decodeFor);
  }

  private async readDecoded<R>(
    ranges: readonly OffsetRange[],
    options: ReadOptions,
    /** The decoder of a partition's records (one per partition, so it can name the record it fails on). */
    decodeFor: (topic: string, partition: number) => (m: FetchedMessage) => R,
  ): Promise<{ records: R[][]; bytes: number }> {
    const concurrency = Math.max(1, options.concurrency ?? 1);
    const minSlice = Math.max(1, options.minSliceRecords ?? 20_000);
    const committed = options.readCommitted ?? false;
    const slicesPerRange: Cursor[][] = ranges.map((r) => {
      const n = r.untilOffset - r.fromOffset;
      if (n <= 0) return [];
      const k = Math.min(concurrency, Math.max(1, Math.floor(n / minSlice)));
      const cursors: Cursor[] = [];
      const decode = decodeFor(r.topic, r.partition);
      for (let j = 0; j < k; j++) {
        const from = r.fromOffset + Math.floor((j * n) / k);
        const until = r.fromOffset + Math.floor(((j + 1) * n) / k);
        cursors.push({ topic: r.topic, partition: r.partition, next: from, until, out: [], decode, bytes: 0, idle: 0, minAsk: 0, lastHighWatermark: -1, committed });
      }
      return cursors;
    });
    // Worker j reads slice j of every range.
    const workers: Cursor[][] = Array.from({ length: concurrency }, () => []);
    for (const slices of slicesPerRange) slices.forEach((c, j) => workers[j]!.push(c));
    const topics = [...new Set(ranges.map((r) => r.topic))];
    const what =
      ranges.length === 1
        ? `reading ${ranges[0]!.topic}:${ranges[0]!.partition} [${ranges[0]!.fromOffset}, ${ranges[0]!.untilOffset})`
        : `reading ${ranges.length} offset ranges of ${JSON.stringify(topics)}`;
    if (workers.some((w) => w.length > 0)) {
      await this.retry(what, async () => {
        await this.cluster!.addMultipleTargetTopics(topics);
        await settleAll(workers.filter((w) => w.length > 0).map((w) => this.fetchLoop(w)));
      });
    }
    let bytes = 0;
    const records = slicesPerRange.map((slices) => {
      for (const s of slices) bytes += s.bytes;
      if (slices.length === 1) return slices[0]!.out as R[];
      const out: R[] = [];
      for (const s of slices) for (const r of s.out) out.push(r as R);
      return out;
    });
    return { records, bytes };
  }

  /**
   * Bytes per record (keys + values) at the given positions: one small fetch (`maxBytes` per
   * partition) of the records there, which are dropped. Undefined when there is nothing to read.
   * A direct stream sizes its first batch with it, before any batch told it what records weigh.
   */
  sampleRecordBytes(
    positions: ReadonlyArray<{ topic: string; partition: number; offset: number }>,
    maxBytes = 64 * 1024,
  ): Promise<number | undefined> {
    if (positions.length === 0) return Promise.resolve(undefined);
    return this.retry('sampling record sizes', async () => {
      const cluster = this.cluster!;
      await cluster.addMultipleTargetTopics([...new Set(positions.map((p) => p.topic))]);
      const byLeader = new Map<string, Map<string, Array<{ partition: number; fetchOffset: string; maxBytes: number }>>>();
      for (const p of positions) {
        const nodeId = Object.keys(cluster.findLeaderForPartitions(p.topic, [p.partition]))[0];
        if (nodeId === undefined) throw Object.assign(new Error(`no leader known for ${p.topic}:${p.partition}`), { retriable: true });
        let topics = byLeader.get(nodeId);
        if (!topics) byLeader.set(nodeId, (topics = new Map()));
        let l = topics.get(p.topic);
        if (!l) topics.set(p.topic, (l = []));
        l.push({ partition: p.partition, fetchOffset: String(p.offset), maxBytes });
      }
      let records = 0;
      let bytes = 0;
      for (const [nodeId, topics] of byLeader) {
        const broker = await cluster.findBroker({ nodeId });
        const res = await broker.fetch({
          isolationLevel: READ_UNCOMMITTED,
          maxWaitTime: 100,
          minBytes: 1,
          maxBytes: Math.max(maxBytes, maxBytes * positions.length),
          topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
        });
        for (const t of res.responses) {
          for (const p of t.partitions) {
            for (const m of p.messages) {
              if (m.isControlRecord) continue;
              records++;
              bytes += (m.key?.length ?? 0) + (m.value?.length ?? 0);
            }
          }
        }
      }
      return records > 0 ? bytes / records : undefined;
    });
  }

  /** Fetches until every cursor reached its end; progress survives a failure (the retry goes on from there). */
  private async fetchLoop(cursors: Cursor[]): Promise<void> {
    const cluster = this.cluster!;
    for (;;) {
      if (this.signal.aborted) throw new Error('stopped');
      const open = cursors.filter((c) => c.next < c.until);
      if (open.length === 0) return;
      // Group by leader; a request names a partition once (two ranges of one partition take turns).
      const byLeader = new Map<string, Cursor[]>();
      const inRound = new Set<string>();
      for (const c of open) {
        const key = tpKey(c.topic, c.partition);
        if (inRound.has(key)) continue;
        inRound.add(key);
        const leaders = cluster.findLeaderForPartitions(c.topic, [c.partition]);
        const nodeId = Object.keys(leaders)[0];
        if (nodeId === undefined) {
          throw Object.assign(new Error(`no leader known for ${c.topic}:${c.partition}`), { retriable: true });
        }
        let l = byLeader.get(nodeId);
        if (!l) byLeader.set(nodeId, (l = []));
        l.push(c);
      }
      await settleAll([...byLeader].map(([nodeId, cs]) => this.fetchOnce(nodeId, cs)));
    }
  }

  /**
   * kafkajs opens a broker's fetch connection on first use, and concurrent first uses each open
   * a socket (all but one leak). So the first fetch to a broker (again after an error) goes alone.
   */
  private async fetchOnce(nodeId: string, cursors: Cursor[]): Promise<void> {
    const gate = this.fetchGates.get(nodeId);
    if (gate) {
      await gate;
      return this.fetchOnceUngated(nodeId, cursors);
    }
    let open!: () => void;
    this.fetchGates.set(nodeId, new Promise<void>((r) => (open = r)));
    try {
      await this.fetchOnceUngated(nodeId, cursors);
    } catch (e) {
      this.fetchGates.delete(nodeId);
      throw e;
    } finally {
      open();
    }
  }

  private async fetchOnceUngated(nodeId: string, cursors: Cursor[]): Promise<void> {
    const broker = await this.cluster!.findBroker({ nodeId });
    const perPartitionMax = this.params.maxPartitionFetchBytes;
    const byTopic = new Map<string, Array<{ partition: number; fetchOffset: string; maxBytes: number }>>();
    const index = new Map<string, { c: Cursor; asked: number }>();
    for (const c of cursors) {
      // Ask for about what the rest of the range takes: more is read and dropped, less costs a round trip.
      const want = Math.ceil((c.until - c.next) * this.bytesPerRecord * 1.05) + 4096;
      const asked = Math.min(perPartitionMax, Math.max(want, c.minAsk));
      let l = byTopic.get(c.topic);
      if (!l) byTopic.set(c.topic, (l = []));
      l.push({ partition: c.partition, fetchOffset: String(c.next), maxBytes: asked });
      index.set(tpKey(c.topic, c.partition), { c, asked });
    }
    let res: FetchResponse;
    this.stats.fetches++;
    try {
      res = await broker.fetch({
        isolationLevel: cursors.some((c) => c.committed) ? READ_COMMITTED : READ_UNCOMMITTED,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: this.params.fetchMaxBytes,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
    } catch (e) {
      this.fetchGates.delete(nodeId);
      throw e;
    }
    const starved: Cursor[] = [];
    let progressed = false;
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const entry = index.get(tpKey(t.topicName, p.partition));
        if (!entry) continue;
        const { c, asked } = entry;
        const before = c.next;
        const msgs = p.messages;
        const aborted = c.committed ? abortedIn(msgs, p.abortedTransactions) : undefined;
        this.stats.fetchedRecords += msgs.length;
        const out = c.out;
        const until = c.until;
        let next = c.next;
        let bytes = 0;
        for (let i = 0; i < msgs.length; i++) {
          const m = msgs[i]!;
          const off = Number(m.offset);
          if (off < next) continue;
          if (off >= until) {
            next = until;
            break;
          }
          next = off + 1;
          if (m.isControlRecord || aborted?.has(m)) continue;
          bytes += (m.key?.length ?? 0) + (m.value?.length ?? 0);
          out.push(c.decode(m));
        }
        c.next = next;
        c.bytes += bytes;
        c.lastHighWatermark = Number(p.highWatermark);
        // A response that stopped before the log end was cut by the size asked for: that size
        // over the records it held is what a record takes on the wire.
        const lastOffset = msgs.length > 0 ? Number(msgs[msgs.length - 1]!.offset) : -1;
        if (msgs.length > 0 && lastOffset + 1 < c.lastHighWatermark) {
          const observed = asked / msgs.length;
          this.bytesPerRecord = Math.max(8, Math.round(0.5 * this.bytesPerRecord + 0.5 * observed));
        }
        if (c.next > before) {
          progressed = true;
          c.idle = 0;
          c.minAsk = 0;
        } else {
          // The broker gives a whole record batch larger than the size asked only to the first
          // partition of a request with data; for the others it cuts the batch, and a cut batch is
          // no record at all. Ask for twice as much next time (as Kafka's consumer grows its fetch).
          if (c.next < c.lastHighWatermark) c.minAsk = Math.min(perPartitionMax, asked * 2);
          starved.push(c);
        }
      }
    }
    // A request that moved any cursor was not empty: the others' share went to them (the request's
    // budget, the first-partition rule). Only rounds in which nothing moved count toward giving up.
    for (const c of starved) {
      if (progressed) continue;
      if (++c.idle >= 50) {
        throw new FatalKafkaError(
          `offsets [${c.next}, ${c.until}) of ${c.topic}:${c.partition} cannot be read: Kafka returned no records there ` +
            `${c.idle} times (its high watermark is ${c.lastHighWatermark}); were they removed by compaction, or the topic recreated?`,
        );
      }
    }
  }

  /** Closes the connections; operations retrying stop. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    await this.connecting?.catch(() => undefined);
    await Promise.all([this.admin?.disconnect().catch(() => undefined), this.cluster?.disconnect().catch(() => undefined)]);
  }
}
