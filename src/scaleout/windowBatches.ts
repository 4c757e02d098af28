/**
 * The changelog of a window without an inverse function (window, countByWindow, and what is
 * built on them: reduceByKeyAndWindow without inverse, groupByKeyAndWindow) in a scaled-out job:
 * topic `<applicationId>-<name>-changelog` (or `-state<id>-`), compacted, one partition per task,
 * holding each parent batch still inside the window, cut by task — `b\0<batch time>` → the
 * task's elements of that batch (JSON; countByWindow: their count), in several records when they
 * are larger than a record may be (changelogSlices.ts); a batch that left the window is
 * tombstoned. The window itself is then the union of the owned tasks' slices (TaskBatches).
 *
 * What is per task: when only narrow operations (map, flatMap, filter, mapValues, flatMapValues,
 * mapPartitions, glom) stand between the direct Kafka stream and the window, partition i of a
 * parent batch is the records of Kafka partition p = task p (a window over the partition's
 * records); after a shuffle (reduceByKeyAndWindow's per-batch reduceByKey, groupByKey…) the
 * elements must be pairs keyed like the input (after repartitionByKey) and a pair's task is its
 * key's partition. A window's outputs on a copy are those of the tasks it owns.
 *
 * When things happen:
 *  - batch t completes (before its task transactions): its parent batch is cut into tasks (the
 *    parent is computed every batch, so a window sliding slower than the batches loses none) and
 *    each owned task's slice is staged in the task's transaction, with tombstones of the batches
 *    at or before t − window; the same transaction commits the offsets that made the slice.
 *  - a task gained: its partition is read (from its start, or from a standby's position) and its
 *    slices put into the window before its first batch; a task lost: its slices dropped.
 * Slices are JSON: a window's elements must be JSON-serialisable.
 */
import type { DirectKafkaInputDStream } from '../direct/DirectKafkaInputDStream.js';
import type { DStream } from '../dstream/DStream.js';
import { FilteredDStream } from '../dstream/operators/filter.js';
import { FlatMappedDStream } from '../dstream/operators/flatMap.js';
import { FlatMapValuedDStream } from '../dstream/operators/flatMapValues.js';
import { GlommedDStream } from '../dstream/operators/glom.js';
import { MappedDStream } from '../dstream/operators/map.js';
import { MapPartitionedDStream } from '../dstream/operators/mapPartitions.js';
import { MapValuedDStream } from '../dstream/operators/mapValues.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import { partitionForKey } from '../kafka/partitioner.js';
import type { TaskRecord } from '../kafka/taskProducer.js';
import type { RDD } from '../rdd/RDD.js';
import type { CountByWindowDStream } from '../window/countByWindow.js';
import type { TaskBatches } from '../window/TaskBatches.js';
import type { WindowedDStream } from '../window/window.js';
import { changelogTopic } from './changelogTopic.js';
import { readCompacted, type CompactedPartition } from './compacted.js';
import { SliceRecords } from './changelogSlices.js';
import type { KafkaClient } from '../kafka/client.js';

const BATCH = 'b\u0000';

/** What the changelog needs of the job's scale-out coordinator. */
export interface WindowBatchesHost {
  readonly applicationId: string;
  rangesOf(time: number, topics: readonly string[]): OffsetRange[];
  owns(task: number): boolean;
  /** Whether batch `time` read partition `task` of some topic. */
  reads(time: number, task: number): boolean;
}

const NARROW = [MappedDStream, FlatMappedDStream, FilteredDStream, MapValuedDStream, FlatMapValuedDStream, MapPartitionedDStream, GlommedDStream];

/** True when only partition-preserving operations stand between `stream` and `input`. */
function narrowFrom(stream: DStream<unknown>, input: DStream<unknown>): boolean {
  for (let s = stream; s !== input; ) {
    if (!NARROW.some((C) => s instanceof C)) return false;
    s = s.dependencies[0]!;
  }
  return true;
}

export class WindowBatchesChangelog {
  readonly topic: string;
  /** The input topics the window reads. */
  readonly sources: readonly string[];
  /** Its tasks are its input's partitions when the window stands on them (narrow), else its elements' keys'. */
  readonly keyed: boolean;
  private readonly batches: TaskBatches<unknown, unknown>;
  /** The slices' records, and how many each written or read slice has. */
  private readonly slices: SliceRecords;
  private stage: ((time: number, records: Array<{ task: number; record: TaskRecord }>) => void) | undefined;

  constructor(
    private readonly stream: WindowedDStream<unknown> | CountByWindowDStream<unknown>,
    /** The tasks: its input's partitions (they grow with it when the window is not keyed, internalTopics.ts). */
    public numPartitions: number,
    input: DirectKafkaInputDStream,
    host: WindowBatchesHost,
  ) {
    this.topic = changelogTopic(host.applicationId, stream);
    this.slices = new SliceRecords(this.topic, BATCH);
    this.sources = input.topics;
    const parent = stream.dependencies[0]!;
    const byPartition = narrowFrom(parent, input as DStream<unknown>);
    this.keyed = !byPartition;
    const split = byPartition
      ? (rdd: RDD<unknown>, time: number): Map<number, unknown[]> => {
          const ranges = host.rangesOf(time, input.topics);
          if (rdd.numPartitions !== ranges.length) {
            throw new Error(`${stream.kind} (stream ${stream.id}): batch ${time} has ${rdd.numPartitions} partitions but read ${ranges.length} Kafka partitions`);
          }
          const out = new Map<number, unknown[]>();
          for (let i = 0; i < ranges.length; i++) out.set(ranges[i]!.partition, (out.get(ranges[i]!.partition) ?? []).concat(rdd.partition(i)));
          return out;
        }
      : (rdd: RDD<unknown>, time: number): Map<number, unknown[]> => {
          const out = new Map<number, unknown[]>();
          for (const e of rdd.collect()) {
            if (!Array.isArray(e) || e.length !== 2) {
              throw new Error(
                `${stream.kind} (stream ${stream.id}) at ${time}: in a scaled-out job a window after a shuffle must hold [key, value] pairs ` +
                  'keyed like the input (repartitionByKey before it), or stand on the Kafka stream through narrow operations only; got ' +
                  JSON.stringify(e)?.slice(0, 80),
              );
            }
            const task = partitionForKey(e[0], this.numPartitions);
            if (!host.owns(task) && !host.reads(time, task)) {
              throw new Error(
                `${stream.kind} (stream ${stream.id}): key ${JSON.stringify(e[0])?.slice(0, 80)} belongs to partition ${task}, which batch ${time} ` +
                  'does not read: a scaled-out window must be keyed like its input (use repartitionByKey before it)',
              );
            }
            const l = out.get(task);
            if (l) l.push(e);
            else out.set(task, [e]);
          }
          return out;
        };
    this.batches = (stream as WindowedDStream<unknown>).byTask(split, (task) => host.owns(task)) as TaskBatches<unknown, unknown>;
    // Every parent batch is cut when its batch runs, whether or not the window slides then.
    stream.graph.materializeEachBatch(parent);
  }

  watch(stage: (time: number, records: Array<{ task: number; record: TaskRecord }>) => void): void {
    this.stage = stage;
  }

  /** Batch `time` completed: its owned slices, and tombstones of the batches that left every later window. */
  beforeCommit(time: number): void {
    const out: Array<{ task: number; record: TaskRecord }> = [];
    for (const [task, slice] of this.batches.at(time)) {
      if (this.batches.owned(task)) for (const record of this.slices.write(time, task, slice)) out.push({ task, record });
    }
    const horizon = time - this.stream.windowDuration;
    this.batches.forget(horizon);
    for (const r of this.slices.removeUpTo(horizon, (task) => this.batches.owned(task))) out.push(r);
    if (out.length > 0) this.stage?.(time, out);
  }

  committed(_task: number, _ends: ReadonlyMap<string, number>): void {}

  drop(task: number): void {
    this.batches.drop(task);
    this.slices.drop(task);
  }

  keepOnly(tasks: ReadonlySet<number>): void {
    for (let t = 0; t < this.numPartitions; t++) if (!tasks.has(t)) this.batches.drop(t);
    this.slices.keepOnly(tasks);
  }

  /** Start (prepare): no task is owned before the group assigns it; windows restore from their changelog. */
  holdAll(): void {
    if (this.stream.graph.recoveredTime !== undefined) this.keepOnly(new Set());
  }

  /** Partitions were added to its input: new tasks (internalTopics.ts). */
  grow(numPartitions: number): void {
    this.numPartitions = numPartitions;
  }

  /** Puts the slices of gained `tasks` into the window (their partitions read from a standby's copy on, or from the start); how many. */
  async restore(client: KafkaClient, tasks: readonly number[], standbys?: ReadonlyMap<number, CompactedPartition>): Promise<{ keys: number; fromLocal: number; read: number }> {
    let n = 0;
    let read = 0;
    for (const [task, partition] of await readCompacted(client, this.topic, tasks, standbys)) {
      read += partition.read;
      for (const [t, slice] of this.slices.read(task, partition.entries)) {
        this.batches.put(t, task, slice);
        n++;
      }
    }
    return { keys: n, fromLocal: 0, read };
  }
}
