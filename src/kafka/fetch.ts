/**
 * Reading offset ranges with Fetch requests sent straight to each partition's leader (through
 * kafkajs's cluster layer, internals.ts), as Spark's executors read a KafkaRDD.
 *
 * When things happen: `fetchLoop` sends one request per leader per round, naming each open
 * cursor's partition once, until every cursor reached its `until`. The size asked for a
 * partition follows the rest of its range (bytes per record learnt from responses cut short);
 * a partition the broker starved asks for twice as much next time. Progress lives in the
 * cursors, so a retry after a failure goes on from there. Fifty rounds in a row in which no
 * partition moved fail the read (records removed by compaction, or the topic recreated).
 */
import { abortedIn } from './aborted.js';
import { READ_COMMITTED, READ_UNCOMMITTED, type FetchedMessage, type FetchResponse, type InternalCluster } from './internals.js';
import { tpKey } from './params.js';
import { FatalKafkaError } from './retry.js';

/** Like Promise.all, but settles only once every promise has (no loop keeps running after a failure). */
export async function settleAll(ps: Promise<unknown>[]): Promise<void> {
  const rs = await Promise.allSettled(ps);
  for (const r of rs) if (r.status === 'rejected') throw r.reason;
}

/** A part of one offset range being read. */
export interface Cursor {
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

/** The fetch loops of one client: what they learnt of record sizes, and which brokers' connections are open. */
export class Fetcher {
  /** Bytes per record seen so far (sizes fetch requests of small slices). */
  private bytesPerRecord = 128;
  private readonly fetchGates = new Map<string, Promise<void>>();
  /** Figures: fetch requests sent, records Kafka returned (including those outside the ranges, dropped), fetch responses. */
  readonly stats = { fetches: 0, fetchedRecords: 0, answers: 0 };

  constructor(
    /** The connected cluster layer (the client connects before any fetch). */
    private readonly cluster: () => InternalCluster,
    private readonly signal: AbortSignal,
    private readonly limits: { readonly maxPartitionFetchBytes: number; readonly fetchMaxBytes: number },
  ) {}

  /** Fetches until every cursor reached its end; progress survives a failure (the retry goes on from there). */
  async fetchLoop(cursors: Cursor[]): Promise<void> {
    const cluster = this.cluster();
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
    const broker = await this.cluster().findBroker({ nodeId });
    const perPartitionMax = this.limits.maxPartitionFetchBytes;
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
        maxBytes: this.limits.fetchMaxBytes,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
    } catch (e) {
      this.fetchGates.delete(nodeId);
      throw e;
    }
    this.stats.answers++;
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
}
