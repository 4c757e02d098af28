/**
 * The changelog of one stateful stream of a scaled-out job: a compacted topic
 * `<applicationId>-state<id>-changelog` (the stream's id in the graph, stable across runs of the
 * job's module), one partition per task, keyed by the state key; a record's value is
 * `[key, value]` as the local checkpoint stores it, a removal is a tombstone. Partition =
 * Kafka's default partitioner over the state's input topic's partition count, i.e. the input
 * partition the key arrives on (the state is keyed like its input: after repartitionByKey).
 *
 * When things happen:
 *  - each batch (StatefulDStream.onChangedKeys): the changed keys become records staged in
 *    the batch's transaction of their task (ScaleOut.commitBatch);
 *  - a task gained: its changelog partition is read (read committed) from its start to its end
 *    and the latest value of each key put into the state — before the task's first batch;
 *  - a task lost: its keys are dropped from the state before the next batch.
 */
import { kafkaInputsOf } from './kafkaInputs.js';
import type { KafkaClient } from '../kafka/client.js';
import { keyString, partitionForKey } from '../kafka/partitioner.js';
import type { TaskRecord } from '../kafka/taskProducer.js';
import { StatefulDStream } from '../state/StatefulDStream.js';
import { ReducedWindowedDStream } from '../window/ReducedWindowedDStream.js';
import { WindowChangelog } from './windowChangelog.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';

/** What a changelog needs of the job's scale-out coordinator. */
export interface ChangelogHost {
  readonly graph: DStreamGraph;
  readonly applicationId: string;
  partitionCount(topic: string): number;
}

export class StateChangelog {
  readonly topic: string;

  private constructor(
    private readonly stream: StatefulDStream<unknown, unknown>,
    readonly numPartitions: number,
    applicationId: string,
  ) {
    this.topic = `${applicationId}-state${stream.id}-changelog`;
  }

  /** A changelog for every stateful stream (and window with an inverse function) fed by the job's Kafka inputs. */
  static forGraph(scaleOut: ChangelogHost): Array<StateChangelog | WindowChangelog> {
    const out: Array<StateChangelog | WindowChangelog> = [];
    for (const s of scaleOut.graph.streams) {
      const inputs = kafkaInputsOf(s);
      if (inputs.length === 0) continue;
      if (s.kind === 'WindowedDStream') {
        throw new Error(
          `${s.kind} (stream ${s.id}) over a Kafka input: a window without an inverse function does not move with its ` +
            'partitions in a scaled-out job (applicationId); use reduceByKeyAndWindow with an inverse function, updateStateByKey or mapWithState',
        );
      }
      if (!(s instanceof StatefulDStream) && !(s instanceof ReducedWindowedDStream)) continue;
      const counts = new Set(inputs.flatMap((i) => i.topics.map((t) => scaleOut.partitionCount(t))));
      if (counts.size !== 1) {
        throw new Error(
          `${s.kind} (stream ${s.id}) reads Kafka topics with different partition counts ${JSON.stringify([...counts])}: ` +
            'its keys cannot follow one partitioning; repartitionByKey before it',
        );
      }
      out.push(
        s instanceof ReducedWindowedDStream
          ? new WindowChangelog(s as ReducedWindowedDStream<unknown, unknown>, [...counts][0]!, scaleOut.applicationId)
          : new StateChangelog(s as StatefulDStream<unknown, unknown>, [...counts][0]!, scaleOut.applicationId),
      );
    }
    return out;
  }

  private taskOf(key: unknown): number {
    return partitionForKey(key, this.numPartitions);
  }

  /** Calls `stage(time, records)` with each batch's changes as changelog records of their tasks. */
  watch(stage: (time: number, records: Array<{ task: number; record: TaskRecord }>) => void): void {
    this.stream.onChangedKeys((time, changes) => {
      stage(
        time,
        changes.map(([k, v]) => {
          const task = this.taskOf(k);
          return {
            task,
            record: { topic: this.topic, partition: task, key: keyString(k), value: v === undefined ? null : JSON.stringify([k, v]) },
          };
        }),
      );
    });
  }

  /** Drops the keys of every task but `tasks` (keys a local checkpoint brought back for tasks this copy does not own). */
  keepOnly(tasks: ReadonlySet<number>): void {
    this.stream.editState((k) => !tasks.has(this.taskOf(k)), []);
  }

  /** Drops the keys of `task` from the state, before the next batch. */
  drop(task: number): void {
    this.stream.editState((k) => this.taskOf(k) === task, []);
  }

  /** Reads the changelog partitions of `tasks` to their end and replaces those tasks' keys with it; the number of keys restored. */
  async restore(client: KafkaClient, tasks: readonly number[]): Promise<number> {
    const bounds = (await client.topicBounds([this.topic])).filter((b) => tasks.includes(b.partition));
    const ranges = bounds.map((b) => ({ topic: this.topic, partition: b.partition, fromOffset: b.low, untilOffset: b.high }));
    const parts = await client.read(ranges, { readCommitted: true });
    const latest = new Map<string, [unknown, unknown]>();
    for (const records of parts) {
      for (const [key, value] of records) {
        if (key === null) continue;
        if (value === '') latest.delete(key);
        else latest.set(key, JSON.parse(value) as [unknown, unknown]);
      }
    }
    const owned = new Set(tasks);
    this.stream.editState((k) => owned.has(this.taskOf(k)), [...latest.values()]);
    return latest.size;
  }
}
