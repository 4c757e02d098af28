/**
 * The Kafka side of the direct approach, on kafkajs: partition discovery and offsets (the admin
 * client's `fetchTopicOffsets`), consumer-group offsets (`fetchOffsets`, and OffsetCommit
 * requests), and reading exact offset ranges (`read`, `readRaw`, `readSized`).
 *
 * kafkajs has no `assign()` (manual partition assignment): its consumer always joins a group,
 * subscribes and owns its positions, which cannot read "exactly [from, until) of partition p"
 * without a rebalance per batch. So ranges are read, as Spark's executors do, with Fetch requests
 * sent straight to each partition's leader (fetch.ts) through kafkajs's own cluster layer — the
 * layer its consumer uses, internal to kafkajs 2.x and reached only in internals.ts. Offsets are
 * committed the same way (OffsetCommit with generation -1, as a "simple" consumer group, like
 * Spark's commitAsync), because kafkajs's admin can only set a group's offsets by joining it.
 * Records and their decoding are in records.ts.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Fetcher, settleAll, type Cursor } from './fetch.js';
import { internalCluster, protocolError, READ_UNCOMMITTED, type FetchedMessage, type InternalBroker, type InternalCluster } from './internals.js';
import type { OffsetRange } from './OffsetRange.js';
import { OutageNotice } from './outage.js';
import { tpKey, type ResolvedKafkaParams } from './params.js';
import { decodeRecord, rawRecord, userDecoder, type KafkaRecord, type RawKafkaRecord, type RecordDecoders } from './records.js';
import { describeError, FatalKafkaError, isOffsetOutOfRange, isUnknownTopic, refusal, withRetry } from './retry.js';

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/**
 * The earliest and latest offsets of a partition. `high` is the last stable offset (ListOffsets
 * at READ_COMMITTED, kafkajs's admin default): the log end, except while a transaction is open on
 * the partition, when it stops at that transaction's first record (see `logEndOffsets`).
 */
export interface PartitionBounds {
  topic: string;
  partition: number;
  low: number;
  high: number;
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
 * with back-off as `params.retryTimeoutMs` / `topicWaitMs` allow (see retry.ts); with a `log`,
 * an outage is told once when it starts and once when Kafka answers again (outage.ts).
 */
export class KafkaClient {
  readonly kafka: Kafka;
  private admin: Admin | undefined;
  /** The topics `admin` was asked about (withAdmin). */
  private askedTopics = new Set<string>();
  private cluster: InternalCluster | undefined;
  private connecting: Promise<void> | undefined;
  /** The clients being connected (by `connecting`). */
  private opening: { admin: Admin; cluster: InternalCluster } | undefined;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly fetcher: Fetcher;
  private readonly notice: OutageNotice | undefined;

  constructor(
    readonly params: ResolvedKafkaParams,
    private readonly shouldStop: () => boolean = () => false,
    /** Where the outage notices go; none without (a scaled-out copy's group tells them: group.ts). */
    log?: (message: string) => void,
  ) {
    this.kafka = new Kafka({
      clientId: params.clientId,
      brokers: params.brokers,
      // KAFKAJS_LOG_LEVEL (e.g. "warn") turns kafkajs's own logging on.
      logLevel: logLevel.NOTHING,
      // No kafkajs timeout longer than the bound (retry.timeout.ms): a broker that accepts
      // connections but never answers must not hold an operation past it.
      connectionTimeout: clamp(params.retryTimeoutMs, 500, 3000),
      requestTimeout: clamp(params.retryTimeoutMs, 1000, 30_000),
      // kafkajs gives up quickly; withRetry (retry.ts) decides how long a batch waits.
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    this.fetcher = new Fetcher(() => this.cluster!, this.abort.signal, params);
    this.notice = log && new OutageNotice(params.brokers, params.retryTimeoutMs, log);
  }

  /** Figures: fetch requests sent, records Kafka returned (including those outside the ranges, dropped). */
  get stats(): Fetcher['stats'] {
    return this.fetcher.stats;
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
        const started = Date.now();
        await this.connect();
        const result = await op();
        this.notice?.answered(what, started);
        return result;
      },
      {
        what: `${what} (Kafka ${this.params.brokers.join(',')})`,
        timeoutMs: this.params.retryTimeoutMs,
        topicWaitMs: this.params.topicWaitMs,
        signal: this.signal,
        giveUp: this.shouldStop,
        // A long read past the bound goes on while the leaders answer its fetches.
        progress: () => this.fetcher.stats.answers,
        silenceMs: clamp(this.params.retryTimeoutMs, 1000, 30_000),
        onRetrying: (e) => this.notice?.retrying(what, e),
        onRetry: async () => {
          await this.cluster?.refreshMetadata().catch(() => undefined);
        },
      },
    );
  }

  /**
   * `op` on the admin, for `topics`. kafkajs's admin refreshes the metadata of every topic it was
   * ever asked about, so one deleted since fails every later lookup, of topics that exist too (a
   * pattern subscription's set shrank): then `op` runs once more on a new admin.
   */
  private async withAdmin<T>(topics: readonly string[], op: (admin: Admin) => Promise<T>): Promise<T> {
    for (const t of topics) this.askedTopics.add(t);
    try {
      return await op(this.admin!);
    } catch (e) {
      if (!isUnknownTopic(e) || [...this.askedTopics].every((t) => topics.includes(t))) throw e;
      const [old, admin] = [this.admin!, this.kafka.admin()];
      await admin.connect();
      this.admin = admin;
      this.askedTopics = new Set(topics);
      await old.disconnect().catch(() => undefined);
      return op(admin);
    }
  }

  private connect(): Promise<void> {
    this.connecting ??= (async () => {
      const admin = this.kafka.admin();
      const cluster = internalCluster(this.kafka);
      // close() disconnects them while they connect (a broker that never answers holds connect() until kafkajs's timeouts).
      this.opening = { admin, cluster };
      try {
        await admin.connect();
        await cluster.connect();
      } catch (e) {
        await admin.disconnect().catch(() => undefined);
        await cluster.disconnect().catch(() => undefined);
        throw e;
      } finally {
        this.opening = undefined;
      }
      this.admin = admin;
      this.cluster = cluster;
      if (this.closed) await this.close(true);
    })();
    this.connecting.catch(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Every partition of `topics` with its earliest and latest offsets; a missing topic is an error (after `topicWaitMs`). */
  topicBounds(topics: readonly string[]): Promise<PartitionBounds[]> {
    return this.retry(`looking up the offsets of ${JSON.stringify(topics)}`, async () => {
      const per = await this.withAdmin(topics, (admin) => Promise.all(topics.map((t) => admin.fetchTopicOffsets(t))));
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
   * For each partition of `topics` (`"topic:partition"` → offset): the first offset whose record
   * is stamped at or after `timestampMs`, else the latest (Kafka's ListOffsets by timestamp).
   */
  offsetsForTime(topics: readonly string[], timestampMs: number): Promise<Map<string, number>> {
    return this.retry(`looking up the offsets of ${JSON.stringify(topics)} at ${new Date(timestampMs).toISOString()}`, async () => {
      const admin = this.admin!;
      const per = await Promise.all(topics.map((t) => admin.fetchTopicOffsetsByTimestamp(t, timestampMs)));
      const out = new Map<string, number>();
      topics.forEach((topic, i) => {
        for (const p of per[i]!) out.set(tpKey(topic, p.partition), Number(p.offset));
      });
      return out;
    });
  }

  /**
   * The log end offset of each of `partitions` (`"topic:partition"` → offset) as a
   * read_uncommitted consumer sees it: the high watermark, past the records of open transactions,
   * where topicBounds' `high` (the last stable offset) stops before them. A partition Kafka does
   * not know is left out.
   */
  logEndOffsets(partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<Map<string, number>> {
    if (partitions.length === 0) return Promise.resolve(new Map());
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) {
      let l = byTopic.get(topic);
      if (!l) byTopic.set(topic, (l = []));
      if (!l.includes(partition)) l.push(partition);
    }
    return this.retry(`looking up the log end offsets of ${JSON.stringify([...byTopic.keys()])}`, async () => {
      const cluster = this.cluster!;
      await cluster.addMultipleTargetTopics([...byTopic.keys()]);
      // Up-to-date leaders (a topic recreated since the metadata was read has new ones).
      await cluster.refreshMetadata();
      const res = await cluster.fetchTopicsOffset(
        [...byTopic].map(([topic, ps]) => ({ topic, fromBeginning: false, partitions: ps.map((partition) => ({ partition })) })),
      );
      const out = new Map<string, number>();
      for (const t of res) for (const p of t.partitions) out.set(tpKey(t.topic, p.partition), Number(p.offset));
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
          if (p.errorCode !== 0) throw protocolError(p.errorCode, `OffsetCommit of ${t.topic}:${p.partition}`);
        }
      }
    });
  }

  /**
   * Whether `generation` is group `groupId`'s current one for `memberId`: Kafka answers a Heartbeat
   * of it without error only then (no rebalance under way), else with its refusal's type
   * (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID…), returned.
   */
  isCurrentGeneration(groupId: string, generation: number, memberId: string): Promise<true | string> {
    return this.retry(`asking group ${groupId} whether generation ${generation} is current`, async () => {
      const coordinator = (await this.cluster!.findGroupCoordinator({ groupId })) as InternalBroker & {
        heartbeat(r: { groupId: string; groupGenerationId: number; memberId: string }): Promise<unknown>;
      };
      try {
        await coordinator.heartbeat({ groupId, groupGenerationId: generation, memberId });
        return true;
      } catch (e) {
        const refused = refusal(e);
        if (refused) return refused.type;
        throw e;
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
        await settleAll(workers.filter((w) => w.length > 0).map((w) => this.fetcher.fetchLoop(w)));
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
    const at = (ps: typeof positions): string => ps.map((p) => `${p.topic}:${p.partition} offset ${p.offset}`).join(', ');
    const what = positions.length <= 3 ? `sampling record sizes at ${at(positions)}` : `sampling record sizes at ${positions.length} positions`;
    return this.retry(what, async () => {
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
        const res = await broker
          .fetch({
            isolationLevel: READ_UNCOMMITTED,
            maxWaitTime: 100,
            minBytes: 1,
            maxBytes: Math.max(maxBytes, maxBytes * positions.length),
            topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
          })
          .catch(async (e: unknown) => {
            throw isOffsetOutOfRange(e) ? await this.outOfRange(e, positions) : e;
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

  /**
   * The error of a position Kafka answered "offset out of range" for: which partition (kafkajs's
   * error names it), the offset asked for and the offsets Kafka holds there.
   */
  private async outOfRange(e: unknown, positions: ReadonlyArray<{ topic: string; partition: number; offset: number }>): Promise<Error> {
    const named = e as { topic?: unknown; partition?: unknown };
    const bad = positions.filter(
      (p) => (named.topic === undefined || p.topic === named.topic) && (named.partition === undefined || p.partition === named.partition),
    );
    const at: string[] = [];
    const held: string[] = [];
    for (const p of bad.length > 0 ? bad : positions) {
      at.push(`${p.topic}:${p.partition} from offset ${p.offset}`);
      const bounds = await this.admin!.fetchTopicOffsets(p.topic)
        .then((os) => os.find((o) => o.partition === p.partition))
        .catch(() => undefined);
      if (bounds) held.push(`${p.topic}:${p.partition} holds offsets [${bounds.low}, ${bounds.high})`);
    }
    return new FatalKafkaError(
      `reading ${at.join(', ')} (Kafka ${this.params.brokers.join(',')}): offsets out of range — the records are no longer in Kafka ` +
        `(deleted by retention?) or were never written${held.length > 0 ? `; ${held.join(', ')}` : ''} (${describeError(e)})`,
      e,
    );
  }

  /** Closes the connections; operations retrying stop. */
  async close(again = false): Promise<void> {
    if (this.closed && !again) return;
    this.closed = true;
    this.abort.abort();
    // Clients still connecting are disconnected now, not awaited: kafkajs's own timeouts can be long.
    const opening = this.opening;
    await Promise.all([
      opening?.admin.disconnect().catch(() => undefined),
      opening?.cluster.disconnect().catch(() => undefined),
      this.admin?.disconnect().catch(() => undefined),
      this.cluster?.disconnect().catch(() => undefined),
    ]);
  }
}
