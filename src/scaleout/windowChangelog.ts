/**
 * The changelog of a window with an inverse function (reduceByKeyAndWindow(f, invF, …)) in a
 * scaled-out job: topic `<applicationId>-<name>-changelog` (or `-state<id>-`) like a state's, one partition per
 * task, holding what the window needs to go on elsewhere — each key's window value
 * (`v\0<key>` → `[key, value]`, the key as changelogKeys.ts writes it) and each parent batch still inside the window, reduced by key,
 * split by task (`s\0<batch time>` → `[[key, value], …]`, in several records when larger than a
 * record may be: changelogSlices.ts); a value that left or a batch that left the window is a tombstone.
 *
 * The state moves every batch (a window sliding slower than the batches steps every batch
 * between its slides, ReducedWindowedDStream.stepEveryBatch): each copy applies every batch, a
 * gained task's batches go straight into the window (they are already in its values) while the
 * copy's own batches go on entering as usual (ReducedWindowedDStream.editState), and every
 * batch's changes are in that batch's transaction with the offsets that made them.
 *
 * When things happen: as for a state (changelog.ts) — each slide's changes are staged in the
 * batch's task transactions; a task gained is read back (compacted.ts: from its start, or from a
 * standby's copy on) before its first batch; a task lost is dropped.
 */
import type { KafkaClient } from '../kafka/client.js';
import { readCompacted, type CompactedPartition } from './compacted.js';
import { partitionForKey } from '../kafka/partitioner.js';
import { changelogKey, KeyedEntries } from './changelogKeys.js';
import { kafkaInputsOf } from './kafkaInputs.js';
import type { TaskRecord } from '../kafka/taskProducer.js';
import { changelogTopic } from './changelogTopic.js';
import { SliceRecords } from './changelogSlices.js';
import type { WindowBatchesHost } from './windowBatches.js';
import type { ReducedWindowedDStream } from '../window/ReducedWindowedDStream.js';

const VALUE = 'v\u0000';
const SLICE = 's\u0000';

export class WindowChangelog {
  readonly topic: string;
  /** The input topics the window reads. */
  readonly sources: readonly string[];
  /** Its records are placed by key. */
  readonly keyed = true;
  private readonly stepping: boolean;
  /** Task → records that rewrite an earlier version's records (changelogKeys.ts), for its next transaction. */
  private readonly rewrites = new Map<number, TaskRecord[]>();
  /** The batches' slices by task, and their records (to tombstone when they leave the window). */
  private readonly slices: SliceRecords;

  constructor(
    private readonly stream: ReducedWindowedDStream<unknown, unknown>,
    readonly numPartitions: number,
    private readonly host: WindowBatchesHost,
  ) {
    this.topic = changelogTopic(host.applicationId, stream);
    this.slices = new SliceRecords(this.topic, SLICE);
    this.sources = kafkaInputsOf(stream as never).flatMap((i) => i.topics);
    // A batch reduced after one of its tasks moved away: that task's keys stay out (its new owner
    // reads them again). A key of a task the batch did not read stays in: the commit then says the
    // stream is not keyed like its input.
    stream.enterOnly((k, t) => {
      const task = this.taskOf(k);
      return host.owns(task) || !host.reads(t, task);
    });
    // Sliding slower than the batches: the state moves every batch, so each batch's changes go
    // into that batch's transaction with the offsets that made them.
    this.stepping = stream.slideDuration !== stream.graph.batchDuration;
    if (this.stepping) stream.stepEveryBatch();
  }

  /** Batch `time` completed: the state moved to it (between slides nothing else moves it). */
  beforeCommit(time: number): void {
    if (this.stepping) this.stream.stepTo(time);
  }

  private taskOf(key: unknown): number {
    return partitionForKey(key, this.numPartitions);
  }

  watch(stage: (time: number, records: Array<{ task: number; record: TaskRecord; key?: unknown }>) => void): void {
    this.stream.onSlide((changes) => {
      const out: Array<{ task: number; record: TaskRecord; key?: unknown }> = [];
      const rec = (task: number, key: string, value: string | null, stateKey?: unknown): void =>
        void out.push({ task, record: { topic: this.topic, partition: task, key, value }, ...(stateKey === undefined ? {} : { key: stateKey }) });
      // Rewrites of an earlier version's records first: the slide's own changes of those keys follow them.
      for (const [task, rs] of this.rewrites) for (const record of rs) out.push({ task, record });
      this.rewrites.clear();
      for (const [k, v] of changes.values) rec(this.taskOf(k), VALUE + changelogKey(k), v === undefined ? null : JSON.stringify([k, v]), k);
      for (const [t, pairs] of changes.slicesAdded) {
        const byTask = new Map<number, Array<[unknown, unknown]>>();
        for (const pair of pairs) {
          const task = this.taskOf(pair[0]);
          const l = byTask.get(task) ?? [];
          l.push(pair);
          byTask.set(task, l);
        }
        for (const [task, l] of byTask) for (const record of this.slices.write(t, task, l)) out.push({ task, record });
      }
      for (const t of changes.slicesRemoved) {
        // A task this copy lost is tombstoned by its new owner (a batch still reading it may).
        for (const r of this.slices.removeUpTo(t, (task) => this.host.owns(task) || this.host.reads(changes.time, task))) out.push(r);
      }
      stage(changes.time, out);
    });
  }

  /** Windows always restore a gained task from the start of its changelog partition. */
  committed(_task: number, _ends: ReadonlyMap<string, number>): void {}

  drop(task: number): void {
    this.stream.editState((k) => this.taskOf(k) === task, [], []);
    this.slices.drop(task);
    this.rewrites.delete(task);
  }

  keepOnly(tasks: ReadonlySet<number>): void {
    this.stream.editState((k) => !tasks.has(this.taskOf(k)), [], []);
    this.slices.keepOnly(tasks);
    for (const t of this.rewrites.keys()) if (!tasks.has(t)) this.rewrites.delete(t);
  }

  /** Start (prepare): no task is owned before the group assigns it; windows restore from their changelog. */
  holdAll(): void {
    if (this.stream.graph.recoveredTime !== undefined) this.keepOnly(new Set());
  }

  async restore(client: KafkaClient, tasks: readonly number[], standbys?: ReadonlyMap<number, CompactedPartition>): Promise<{ keys: number; fromLocal: number; read: number }> {
    const values: Array<[unknown, unknown]> = [];
    const slices = new Map<number, Array<[unknown, unknown]>>();
    let read = 0;
    for (const [task, partition] of await readCompacted(client, this.topic, tasks, standbys)) {
      read += partition.read;
      const entries = new KeyedEntries();
      for (const [key, value] of partition.entries) {
        if (key.startsWith(VALUE)) {
          const pair = JSON.parse(value) as [unknown, unknown];
          entries.put(key.slice(VALUE.length), pair[0], pair, true);
        }
      }
      for (const [t, slice] of this.slices.read(task, partition.entries)) slices.set(t, (slices.get(t) ?? []).concat(slice as Array<[unknown, unknown]>));
      for (const e of entries.entries.values()) values.push(e.value as [unknown, unknown]);
      const rewrite = entries.rewrite(this.topic, task, VALUE);
      if (rewrite.length > 0) this.rewrites.set(task, rewrite);
    }
    const owned = new Set(tasks);
    this.stream.editState((k) => owned.has(this.taskOf(k)), values, [...slices].sort((a, b) => a[0] - b[0]));
    return { keys: values.length, fromLocal: 0, read };
  }
}
