/**
 * A scaled-out copy's per-batch commit (ScaleOut.ts): per task the batch read, ONE Kafka
 * transaction with the repartition records made from the task's input partition, the changelog
 * records of the task's state keys and window batches, and the offsets the batch read up to (to
 * the group, and as a record of `<applicationId>-positions`, positions.ts).
 *
 * When things happen:
 *  - while batch t runs: repartitionByKey stages its records (`stage`), and each state's or
 *    window's changes are staged as they are made (`stageChanges`, from the changelogs' watch);
 *  - batch t completed (after every output, `commitBatch`): the changelogs cut what they still
 *    owe (`beforeCommit`; windowBatches.ts), then one transaction per task. A task lost since the
 *    batch was generated is not committed: its new owner re-reads from the last committed
 *    offsets, with the state of that point. A transaction fenced by the task's new owner loses
 *    the task here. A transaction that failed because Kafka is unreachable (outage.ts) — its
 *    outcome unknown (its abort failed too), or nothing visible but every try failed — closes
 *    the task too, as Kafka Streams closes a task whose producer failed and revives it from its
 *    changelog and committed offsets: the copy leaves the group and joins again (`rejoin`), so
 *    it gains the task back in a new generation (its PostgreSQL writes then take the partitions
 *    over, postgres.ts) and restores it from the last commit, once opening its producer has made
 *    Kafka settle the transaction. Then the batch is done (completions.ts), even when its
 *    commit failed.
 */
import type { OffsetRange } from '../kafka/OffsetRange.js';
import { isKafkaUnreachable } from '../kafka/outage.js';
import { isProducerFenced, TASK_ATTEMPTS, TaskCommitFailed, tryTask, type TaskRecord } from '../kafka/taskProducer.js';
import type { TaskAssignment } from './assignment.js';
import type { Changelog } from './changelog.js';
import type { BatchCompletions } from './completions.js';
import { positionsRecord } from './positions.js';

/** What the commits need of their copy (ScaleOut). */
export interface TransactionsHost {
  /** `<applicationId>-positions` (positions.ts). */
  readonly positions: string;
  /** The changelogs of the job's states and windows (found at prepare). */
  readonly changelogs: readonly Changelog[];
  readonly completions: BatchCompletions;
  readonly assignment: TaskAssignment;
  /** The partitions of one of the job's topics, internal ones included (undefined: not one of them). */
  partitionsOf(topic: string): number | undefined;
  /** The ranges batch `time` reads, of every topic. */
  rangesAt(time: number): readonly OffsetRange[];
  /** Batch `time` committed: what was kept for it and the batches before it can go. */
  forget(time: number): void;
  isStopped(): boolean;
  /** The copy leaves the group and joins again (kafka/group.ts `rejoin`). */
  rejoin(reason: string, cause: unknown): void;
  log(message: string): void;
}

/** Where a batch's repartition or changelog records wait for its transaction: batch time → task → records. */
type Outbox = Map<number, Map<number, TaskRecord[]>>;

export class TaskTransactions {
  private readonly outbox: Outbox = new Map();
  /** The tasks last logged as lost since their batch, and in which generation (the batches queued behind it are not logged again). */
  private movedLogged = '';

  constructor(private readonly host: TransactionsHost) {}

  /** Stage records of batch `time` for task `task`'s transaction. */
  stage(time: number, task: number, records: TaskRecord[]): void {
    if (records.length === 0) return;
    let byTask = this.outbox.get(time);
    if (!byTask) this.outbox.set(time, (byTask = new Map()));
    const l = byTask.get(task);
    if (l) for (const r of records) l.push(r);
    else byTask.set(task, records);
  }

  /** A state's or window's changelog records of batch `time`, each staged for its key's task (`key`: the state key, for errors). */
  stageChanges(time: number, records: ReadonlyArray<{ task: number; record: TaskRecord; key?: unknown }>): void {
    const read = new Set(this.host.rangesAt(time).map((r) => r.partition));
    const owned = this.host.assignment.tasks;
    const assignment = this.host.assignment;
    for (const { task, record, key } of records) {
      // A task the batch did not read but this copy owns (just gained: e.g. its restored window
      // batches leaving the window) is staged too; one lost since the batch was generated is its
      // new owner's; one neither read nor owned is a key that does not follow the input's partitioning.
      if (!read.has(task) && !owned.has(task)) {
        if (assignment.lostSince(task, time)) continue;
        throw new Error(
          `state key ${JSON.stringify(key ?? record.key)?.slice(0, 80)} belongs to partition ${task}, which batch ${time} does not read: a scaled-out ` +
            'stateful stream must be keyed like its input (use repartitionByKey before it)',
        );
      }
      this.stage(time, task, [record]);
    }
  }

  /** One transaction per task the batch read: its staged records and the offsets it read up to. */
  async commitBatch(time: number): Promise<void> {
    try {
      await this.commitTasks(time);
    } finally {
      this.host.completions.done(time);
    }
  }

  private async commitTasks(time: number): Promise<void> {
    const t0 = Date.now();
    const { assignment, changelogs } = this.host;
    for (const cl of changelogs) if ('beforeCommit' in cl) cl.beforeCommit(time);
    const ranges = this.host.rangesAt(time);
    const staged = this.outbox.get(time) ?? new Map<number, TaskRecord[]>();
    const tasks = new Set([...ranges.map((r) => r.partition), ...staged.keys()]);
    /** Tasks lost since the batch was generated; tasks whose transaction failed with Kafka unreachable (outcome unknown), and the first cause. */
    const moved: number[] = [];
    const unsettled: number[] = [];
    let unreachable: unknown;
    await Promise.all(
      [...tasks].map(async (task) => {
        const producer = assignment.producer(task);
        if (!producer) {
          moved.push(task);
          return;
        }
        const mine = ranges.filter((r) => r.partition === task);
        const records = [...(staged.get(task) ?? [])];
        // Nothing read, nothing written: no transaction.
        if (records.length === 0 && mine.every((r) => r.untilOffset === r.fromOffset)) return;
        const offsets = mine.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.untilOffset }));
        if (offsets.length > 0) records.push(positionsRecord(this.host.positions, task, offsets, assignment.started));
        this.checkPartitions(time, task, records);
        const again = (e: unknown): boolean => e instanceof TaskCommitFailed && e.retriable && assignment.producer(task) === producer && !this.host.isStopped();
        try {
          const ends = await tryTask(() => producer.commitBatch(records, offsets), again, (e, n) => {
            // Kafka unreachable: said once, by the group member or below, not per attempt.
            if (!isKafkaUnreachable(e)) this.host.log(`batch ${time}: task ${task} not committed (${(e as Error).message}); trying again (${n}/${TASK_ATTEMPTS - 1})`);
          });
          for (const cl of changelogs) cl.committed(task, ends);
        } catch (e) {
          if (assignment.producer(task) !== producer || this.host.isStopped() || isProducerFenced(e)) {
            this.host.log(`batch ${time}: task ${task} not committed, it moved to another copy: ${(e as Error).message}`);
            if (assignment.producer(task) === producer) assignment.lose(task);
            return;
          }
          if (e instanceof TaskCommitFailed && isKafkaUnreachable(e)) {
            // Its outcome unknown (or nothing visible, after every try): closed now — no later
            // batch reads it or commits with this producer, its keys are dropped.
            assignment.lose(task);
            unsettled.push(task);
            unreachable ??= e;
            return;
          }
          throw e;
        }
      }),
    );
    const which = JSON.stringify(moved.sort((x, y) => x - y));
    if (moved.length > 0 && `${which}@${assignment.generation}` !== this.movedLogged) {
      this.movedLogged = `${which}@${assignment.generation}`;
      this.host.log(`batch ${time}: tasks ${which} lost since the batch was generated; not committed here, nor by the batches queued behind it (their next owner resumes from the last commit)`);
    }
    if (unsettled.length > 0) {
      const why = `batch ${time}: tasks ${JSON.stringify(unsettled.sort((x, y) => x - y))} not committed, Kafka did not answer (${(unreachable as Error).message})`;
      this.host.log(`${why}: they are closed (an outcome may be unknown); the copy joins the group again and restores them from their last commit`);
      this.host.rejoin(why, unreachable);
    }
    if (process.env.DSTREAMS_SCALEOUT_DEBUG) {
      this.host.log(`batch ${time}: ${[...staged.values()].reduce((n, l) => n + l.length, 0)} records committed in ${tasks.size} transactions in ${Date.now() - t0} ms`);
    }
    for (const t of this.outbox.keys()) if (t <= time) this.outbox.delete(t);
    this.host.forget(time);
  }

  /** kafkajs drops a record for a partition its metadata does not have, without an error: none is sent. */
  private checkPartitions(time: number, task: number, records: readonly TaskRecord[]): void {
    for (const r of records) {
      const n = this.host.partitionsOf(r.topic);
      if (n === undefined || r.partition >= n) {
        throw new Error(
          `batch ${time}: task ${task} would write a record to partition ${r.partition} of topic ${r.topic}, which ` +
            (n === undefined ? 'is not one of the job\'s topics' : `has ${n} partitions`),
        );
      }
    }
  }
}
