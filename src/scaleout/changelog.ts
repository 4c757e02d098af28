/**
 * The changelog of one stateful stream of a scaled-out job: a compacted topic
 * `<applicationId>-<state name>-changelog` for named state (`{ name }`, StateSpec `.name(n)`),
 * else `<applicationId>-state<id>-changelog` (the stream's id in the graph, stable across runs of
 * the job's module), one partition per task, keyed by the state key (changelogKeys.ts: a string
 * as itself, another key typed); a record's value is `[key, value]` as the local checkpoint
 * stores it (StatefulDStream.storedChange), a removal is a tombstone. Partition =
 * Kafka's default partitioner over the state's input topic's partition count, i.e. the input
 * partition the key arrives on (the state is keyed like its input: after repartitionByKey).
 *
 * When things happen:
 *  - each batch (StatefulDStream.onStateChanges, the same changes the checkpoint's delta log is
 *    written from): the changed keys become records staged in the batch's transaction of their
 *    task (transactions.ts);
 *  - start (prepare, before the group assigns anything): the state the local checkpoint brought
 *    back is taken out of the stream — no batch offers a task's keys to the state's function
 *    before the copy owns the task — and held, per task its checkpoint has a position for, until
 *    the task is gained (as Kafka Streams processes no task it is not assigned);
 *  - a task gained: its changelog partition is read (read committed) from its start to its end
 *    and the latest value of each key put into the state — or, with a held copy, only the records
 *    after the checkpoint's position, on top of it — before the task's first batch; records an
 *    earlier version wrote under other keys are rewritten with the task's next transaction;
 *  - a task gained whose changelog partition has no committed record at all (no copy ever
 *    committed a batch of it): the initial state's keys of the task (updateStateByKey's
 *    initialRDD, StateSpec.initialState) are seeded into the state instead, and written to the
 *    changelog with the task's next transaction, followed by a marker record (never removed, so
 *    compaction cannot make the partition look new again). The next owner restores them like
 *    any change; if that transaction never commits, the next owner seeds them itself;
 *  - a task lost: its keys are dropped from the state before the next batch.
 */
import { kafkaInputsOf } from './kafkaInputs.js';
import type { KafkaClient } from '../kafka/client.js';
import { partitionForKey } from '../kafka/partitioner.js';
import { changelogKey, KeyedEntries } from './changelogKeys.js';
import type { TaskRecord } from '../kafka/taskProducer.js';
import { StatefulDStream } from '../state/StatefulDStream.js';
import { InternalMapWithStateDStream } from '../state/InternalMapWithStateDStream.js';
import { StateDStream } from '../state/updateStateByKey.js';
import { ReducedWindowedDStream } from '../window/ReducedWindowedDStream.js';
import { WindowChangelog } from './windowChangelog.js';
import { changelogTopic } from './changelogTopic.js';
import { readCompacted, type CompactedPartition } from './compacted.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { WindowedDStream } from '../window/window.js';
import { CountByWindowDStream } from '../window/countByWindow.js';
import { WindowBatchesChangelog, type WindowBatchesHost } from './windowBatches.js';

/** What a changelog needs of the job's scale-out coordinator. */
export interface ChangelogHost extends WindowBatchesHost {
  readonly graph: DStreamGraph;
  partitionCount(topic: string): number;
}

/** What a restore did: keys (or window batches) now in the state, tasks read from the local checkpoint's position, records read from Kafka. */
export interface RestoreCounts {
  keys: number;
  fromLocal: number;
  read: number;
  /** Of `keys`, those seeded from the initial state (tasks never committed before). */
  seeded?: number;
}

/** Every kind of changelog a scaled-out job writes. */
export type Changelog = StateChangelog | WindowChangelog | WindowBatchesChangelog;
/**
 * The key of the marker written after a task's initial state: bytes no state key's UTF-8 can be
 * (0xFF never occurs in UTF-8), so compaction never merges it with a key. Its value is a JSON
 * object, every other record's an array.
 */
const INITIAL_MARKER_KEY = Buffer.concat([Buffer.from([0xff]), Buffer.from('dstreams-initial-state')]);
const INITIAL_MARKER_VALUE = JSON.stringify({ dstreams: 'initial state written' });

/** What a stateful stream's checkpoint carries for its changelog (StatefulDStream.checkpointExtra). */
interface ChangelogPositions {
  /** Task → the changelog offset up to which the checkpointed state has every change of the task. */
  changelog: Record<string, number>;
  /**
   * The positions are of a version that writes typed record keys (changelogKeys.ts) and rewrites
   * an earlier version's records before it records a task's position: no record before them
   * is a legacy one. Positions without it (an earlier version's) are not used: the task is read
   * whole once, which finds and rewrites its legacy records.
   */
  typedKeys?: boolean;
}

export class StateChangelog {
  readonly topic: string;
  /** Task → the changelog offset the state of the task is up to (after its last commit or restore). */
  private readonly positions = new Map<number, number>();
  /** The positions of the local checkpoint this copy started from (used once per task). */
  private readonly local = new Map<number, number>();
  /** The initial state's pairs by task (taken over from the stream). */
  private readonly initial = new Map<number, Array<readonly [unknown, unknown]>>();
  /** Tasks seeded since the last batch: their marker goes with the next batch's changes. */
  private readonly seededNow = new Set<number>();
  /** Tasks whose seeds or rewrites are staged and not yet committed: no position (a local checkpoint must not claim them). */
  private readonly seeding = new Set<number>();
  /** Task → its keys as the local checkpoint had them ([key, stored value]), until the task is gained or lost. */
  private readonly held = new Map<number, Array<readonly [unknown, unknown]>>();
  /** Task → records that rewrite an earlier version's records (changelogKeys.ts), for its next transaction. */
  private readonly rewrites = new Map<number, TaskRecord[]>();
  /** The input topics the state reads (its partitions are theirs). */
  readonly sources: readonly string[];
  /** Its records are placed by key (not by the partition they were read from). */
  readonly keyed = true;

  private constructor(
    private readonly stream: StatefulDStream<unknown, unknown>,
    readonly numPartitions: number,
    host: ChangelogHost,
  ) {
    this.topic = changelogTopic(host.applicationId, stream);
    this.sources = kafkaInputsOf(stream).flatMap((i) => i.topics);
    // A batch applied after one of its tasks moved away: that task's records stay out (its new
    // owner applies them). A key of a task the batch did not read goes in: the commit then says
    // the stream is not keyed like its input.
    stream.acceptOnly((t) => {
      const lost = new Set<number>();
      for (let task = 0; task < numPartitions; task++) if (host.reads(t, task) && !host.owns(task)) lost.add(task);
      // Usually none: then the records are not looked at one by one.
      return lost.size === 0 ? undefined : (k) => !lost.has(this.taskOf(k));
    });
    const restored = stream.restoredExtra as Partial<ChangelogPositions> | undefined;
    if (restored?.typedKeys === true) {
      for (const [t, off] of Object.entries(restored.changelog ?? {})) if (Number.isSafeInteger(off)) this.local.set(Number(t), off);
    }
    stream.checkpointExtra = (): ChangelogPositions => ({ changelog: Object.fromEntries(this.positions), typedKeys: true });
    for (const pair of stream.takeInitialState()) {
      const t = this.taskOf(pair[0]);
      const l = this.initial.get(t);
      if (l) l.push(pair);
      else this.initial.set(t, [pair]);
    }
  }

  /** Task `task`'s batch committed; `ends`: the offset after its last record per topic-partition. */
  committed(task: number, ends: ReadonlyMap<string, number>): void {
    const end = ends.get(`${this.topic}:${task}`);
    if (end === undefined) return;
    if (this.positions.has(task) || this.seeding.delete(task)) this.positions.set(task, end);
  }

  /** A changelog for every stateful stream and window fed by the job's Kafka inputs. */
  static forGraph(scaleOut: ChangelogHost): Changelog[] {
    const out: Changelog[] = [];
    for (const s of scaleOut.graph.streams) {
      const inputs = kafkaInputsOf(s);
      if (inputs.length === 0) continue;
      if (s instanceof WindowedDStream || s instanceof CountByWindowDStream) {
        if (inputs.length !== 1) {
          throw new Error(`${s.kind} (stream ${s.id}) reads ${inputs.length} Kafka streams: a scaled-out window moves with the partitions of one`);
        }
        out.push(new WindowBatchesChangelog(s, scaleOut.partitionCount(inputs[0]!.topics[0]!), inputs[0]!, scaleOut));
        continue;
      }
      if ((s as { stateOnDisk?: boolean }).stateOnDisk) {
        throw new Error(
          `${s.kind} (stream ${s.id}): disk-backed state is not yet supported with applicationId (a moved partition's keys ` +
            "would have to be dropped from and restored into the store key by key); use the memory store (the default) in a scaled-out job",
        );
      }
      if (!(s instanceof StatefulDStream) && !(s instanceof ReducedWindowedDStream)) continue;
      if (s instanceof StatefulDStream && !(s instanceof StateDStream) && !(s instanceof InternalMapWithStateDStream)) {
        throw new Error(`${s.kind} (stream ${s.id}) over a Kafka input is not supported in a scaled-out job (applicationId): only updateStateByKey, mapWithState and reduceByKeyAndWindow with an inverse function move with their partitions`);
      }
      const counts = new Set(inputs.flatMap((i) => i.topics.map((t) => scaleOut.partitionCount(t))));
      if (counts.size !== 1) {
        throw new Error(
          `${s.kind} (stream ${s.id}) reads Kafka topics with different partition counts ${JSON.stringify([...counts])}: ` +
            'its keys cannot follow one partitioning; repartitionByKey before it',
        );
      }
      out.push(
        s instanceof ReducedWindowedDStream
          ? new WindowChangelog(s as ReducedWindowedDStream<unknown, unknown>, [...counts][0]!, scaleOut)
          : new StateChangelog(s as StatefulDStream<unknown, unknown>, [...counts][0]!, scaleOut),
      );
    }
    const topics = out.map((c) => c.topic);
    const twice = topics.find((t, i) => topics.indexOf(t) !== i);
    if (twice !== undefined) throw new Error(`two states of the job would share the changelog topic ${twice}: rename one (state names must differ from "state<id>")`);
    return out;
  }

  private taskOf(key: unknown): number {
    return partitionForKey(key, this.numPartitions);
  }

  /** Calls `stage(time, records)` with each batch's changes as changelog records of their tasks. */
  watch(stage: (time: number, records: Array<{ task: number; record: TaskRecord; key?: unknown }>) => void): void {
    const stream = this.stream;
    stream.onStateChanges((time, keys, values) => {
      const records = keys.map((k, i): { task: number; record: TaskRecord; key?: unknown } => {
        const task = this.taskOf(k);
        const v = values[i];
        const value = v === undefined ? null : JSON.stringify([k, stream.storedChange(time, v)]);
        return { task, record: { topic: this.topic, partition: task, key: changelogKey(k), value } as TaskRecord, key: k };
      });
      // Rewrites of an earlier version's records first: the batch's own changes of those keys follow them.
      if (this.rewrites.size > 0) {
        const first: Array<{ task: number; record: TaskRecord }> = [];
        for (const [task, rs] of this.rewrites) {
          for (const record of rs) first.push({ task, record });
          this.seeding.add(task);
        }
        this.rewrites.clear();
        records.unshift(...first);
      }
      // The seeds came first among the changes; the marker follows them in the same transaction.
      for (const task of this.seededNow) {
        records.push({ task, record: { topic: this.topic, partition: task, key: INITIAL_MARKER_KEY, value: INITIAL_MARKER_VALUE } });
        this.seeding.add(task);
      }
      this.seededNow.clear();
      stage(time, records);
    });
  }

  /** Drops the keys of every task but `tasks` (keys a local checkpoint brought back for tasks this copy does not own). */
  keepOnly(tasks: ReadonlySet<number>): void {
    for (const t of this.positions.keys()) if (!tasks.has(t)) this.positions.delete(t);
    // Their keys go: a local position no longer describes them (a later gain reads them whole).
    for (const t of this.local.keys()) if (!tasks.has(t)) this.local.delete(t);
    for (const set of [this.seededNow, this.seeding]) for (const t of set) if (!tasks.has(t)) set.delete(t);
    for (const m of [this.held, this.rewrites]) for (const t of m.keys()) if (!tasks.has(t)) m.delete(t);
    this.stream.editState((k) => !tasks.has(this.taskOf(k)), []);
  }

  /**
   * Start (prepare): the whole state leaves the stream before its first batch, the keys of the
   * tasks the local checkpoint has a position for held until the task is gained (or lost).
   */
  holdAll(): void {
    const time = this.stream.graph.recoveredTime;
    if (time === undefined) return; // nothing restored
    const full = this.local.size > 0 ? this.stream.checkpointDelta(time, true) : undefined;
    // No copy of the state to hold: the positions describe nothing held, a gain reads whole.
    if (full?.state === undefined) this.local.clear();
    for (const [k, v] of full?.state?.puts ?? []) {
      const t = this.taskOf(k);
      if (!this.local.has(t)) continue;
      const l = this.held.get(t);
      if (l) l.push([k, v]);
      else this.held.set(t, [[k, v]]);
    }
    this.stream.editState(() => true, []);
  }

  /** Drops the keys of `task` from the state, before the next batch. */
  drop(task: number): void {
    this.positions.delete(task);
    this.local.delete(task);
    this.held.delete(task);
    this.rewrites.delete(task);
    this.seededNow.delete(task);
    this.seeding.delete(task);
    this.stream.editState((k) => this.taskOf(k) === task, []);
  }

  /**
   * Brings the state of `tasks` up to the end of their changelog partitions: for a task the local
   * checkpoint this copy started from has up to offset X, its held keys (holdAll) and only the
   * records from X on are read (the tail); for a task this copy kept a standby copy of
   * (`standbys`), that copy plus the records after it; the others are read from the start; a
   * task whose partition has no committed record gets its initial state instead (see the top of
   * this file). Each task's keys in the state are replaced. The number of keys read or seeded,
   * and how many of the tasks started from the local checkpoint.
   */
  async restore(client: KafkaClient, tasks: readonly number[], standbys: ReadonlyMap<number, CompactedPartition> = new Map()): Promise<RestoreCounts> {
    const warm = tasks.filter((t) => standbys.has(t) && !this.local.has(t));
    const bounds = (await client.topicBounds([this.topic])).filter((b) => tasks.includes(b.partition) && !warm.includes(b.partition));
    const ranges = bounds.map((b) => {
      const local = this.local.get(b.partition);
      const tail = local !== undefined && local >= b.low && local <= b.high;
      return { topic: this.topic, partition: b.partition, fromOffset: tail ? local : b.low, untilOffset: b.high, tail };
    });
    const [parts, warmParts] = await Promise.all([client.read(ranges, { readCommitted: true }), readCompacted(client, this.topic, warm, standbys)]);
    let read = 0;
    let fromLocal = 0;
    const puts: Array<readonly [unknown, unknown]> = [];
    const seeds: Array<readonly [unknown, unknown]> = [];
    const newTasks: number[] = [];
    /** A task's entries into the state; its position, or none while its seeds or rewrites are not committed. */
    const place = (task: number, entries: KeyedEntries, end: number, empty: boolean): void => {
      const initial = this.initial.get(task);
      if (empty && initial !== undefined) {
        // No copy ever committed this task: it starts from the initial state (positioned once that commits).
        newTasks.push(task);
        for (const p of initial) seeds.push(p);
        this.positions.delete(task);
        return;
      }
      for (const e of entries.entries.values()) puts.push(e.value as [unknown, unknown]);
      const rewrite = entries.rewrite(this.topic, task);
      if (rewrite.length > 0) {
        this.rewrites.set(task, rewrite);
        this.positions.delete(task);
      } else {
        this.positions.set(task, end);
      }
    };
    parts.forEach((records, i) => {
      const r = ranges[i]!;
      read += records.length;
      const entries = new KeyedEntries();
      if (r.tail) {
        fromLocal++;
        for (const [k, v] of this.held.get(r.partition) ?? []) entries.put(changelogKey(k), k, [k, v]);
      }
      for (const [key, value] of records) {
        if (key === null) continue;
        if (value === '') {
          entries.remove(key);
          continue;
        }
        const parsed: unknown = JSON.parse(value);
        if (Array.isArray(parsed)) entries.put(key, parsed[0], parsed); // else the initial-state marker
      }
      this.local.delete(r.partition);
      this.held.delete(r.partition);
      place(r.partition, entries, r.untilOffset, !r.tail && records.length === 0);
    });
    for (const [task, partition] of warmParts) {
      read += partition.read;
      const entries = new KeyedEntries();
      for (const [key, value] of partition.entries) {
        const parsed: unknown = JSON.parse(value);
        if (Array.isArray(parsed)) entries.put(key, parsed[0], parsed, true); // else the initial-state marker
      }
      this.held.delete(task);
      place(task, entries, partition.end, partition.entries.size === 0);
    }
    const restored = new Set(tasks);
    this.stream.editState((k) => restored.has(this.taskOf(k)), puts);
    if (seeds.length > 0) {
      this.stream.seedState(seeds);
      for (const t of newTasks) this.seededNow.add(t);
    }
    return { keys: puts.length + seeds.length, fromLocal, read, seeded: seeds.length };
  }
}

