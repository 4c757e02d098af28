/**
 * Over 400 lines: the copy's whole protocol (registration, rebalance, per-batch commit) reads in
 * one file; changelogs, standby copies, repartitioning and fenced writes are beside it.
 *
 * One copy of a scaled-out job (a StreamingContext with an `applicationId`): Kafka Streams'
 * model in the DStream world. The copies of a job form one consumer group; Kafka's group
 * protocol assigns tasks (task p = partition p of every input and internal topic, see
 * kafka/group.ts); each copy's direct streams read exactly the ranges of its own partitions.
 *
 * When things happen:
 *  - prepare() (context start, before the inputs): internal topics are created —
 *    `<applicationId>-repartition-<n>` and `<applicationId>-<state>-changelog` (compacted).
 *  - join() (after the inputs started): the copy joins the group.
 *  - a rebalance (`onAssigned`, one at a time, in order): each task lost — its producer closed,
 *    its keys dropped from every state before the next batch; each task gained — its
 *    transactional producer opened (which fences the copy that had it and ends that copy's open
 *    transaction), its last offsets read (from `<applicationId>-positions`, see positions.ts, or
 *    the group's committed offsets, whichever is later; `auto.offset.reset` only when there are
 *    none; internal topics from their start), each state's and window's changelog partition
 *    read to its end (from its start, the local checkpoint's position or a standby copy's,
 *    standbyCopies.ts) and put into the state; only then do the direct streams read the task's
 *    partitions (from the next batch generated). Then the copy's standbys of the generation,
 *    `assignment$`, the listener event and a log line.
 *  - a batch completed (hook, after every output): per task the batch read, ONE Kafka
 *    transaction with the repartition records made from the task's input partition, the
 *    changelog records of the task's state keys and window batches (windowBatches.ts cuts them
 *    first) and the offsets the batch read up to (to the group, and as a record of
 *    `<applicationId>-positions`). A task lost since the batch was generated is
 *    not committed: its new owner re-reads from the last committed offsets, with the state of
 *    that point. Then the standby copies catch up.
 *  - the group member crashes (kafka/group.ts): every task is lost at once, as above; a new
 *    member of the group joins and the next assignment gains tasks as above. A task gained
 *    again is restored only once the batches generated while this copy last had it are done.
 *
 * So per task the input offsets, the repartition records and the state changes move together:
 * a crash at any point leaves the last committed batch, and whoever owns the task next resumes
 * exactly there. Outputs outside Kafka (PostgreSQL) are exactly once when they are idempotent
 * per key and fenced by generation (scaleout/postgres.ts).
 */
import { Subject, type Observable } from 'rxjs';
import type { BatchHooks } from '../context/JobScheduler.js';
import type { PartitionsAssignedInfo } from '../context/StreamingListener.js';
import type { PartitionOwnership } from '../direct/ownership.js';
import { KafkaClient } from '../kafka/client.js';
import { GroupMember, type GroupAssignment } from '../kafka/group.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import { tpKey, type ResolvedKafkaParams } from '../kafka/params.js';
import { partitionForKey } from '../kafka/partitioner.js';
import { isProducerFenced, TASK_ATTEMPTS, TaskCommitFailed, TaskProducer, tryTask, type TaskRecord } from '../kafka/taskProducer.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { StateChangelog, type Changelog } from './changelog.js';
import { StandbyCopies } from './standbyCopies.js';
import { BatchCompletions } from './completions.js';
import { positionsRecord, positionsTopic, readPositions } from './positions.js';

export interface ScaleOutHost {
  addBatchHooks(hooks: BatchHooks): void;
  post(info: PartitionsAssignedInfo): void;
  fail(error: unknown): void;
  log(message: string): void;
}

/** Where a batch's repartition or changelog records wait for its transaction: batch time → task → records. */
type Outbox = Map<number, Map<number, TaskRecord[]>>;

const coordinators = new WeakMap<DStreamGraph, ScaleOut>();

export class ScaleOut implements PartitionOwnership {
  /** Whether this copy owns task `task` now. */
  owns(task: number): boolean {
    return this.tasks.has(task);
  }

  /** Whether batch `time` read partition `task` of one of the job's topics (until the batch commits). */
  reads(time: number, task: number): boolean {
    return (this.rangesByTime.get(time) ?? []).some((r) => r.partition === task);
  }

  /** The scale-out coordinator of the context that owns `graph`, if it has an applicationId. */
  static of(graph: DStreamGraph): ScaleOut | undefined {
    return coordinators.get(graph);
  }

  private params: ResolvedKafkaParams | undefined;
  private client: KafkaClient | undefined;
  private member: GroupMember | undefined;
  /** Topics of the group's direct streams (inputs and repartition topics), in registration order. */
  private readonly topics: string[] = [];
  private readonly internalTopics = new Map<string, number | undefined>();
  /** `<applicationId>-positions`: each task's committed offsets, in its transactions (positions.ts). */
  private readonly positions: string;
  private readonly changelogs: Changelog[] = [];
  /** Standby replicas: the tasks this copy follows without owning them (standbyCopies.ts). */
  private readonly standbys: StandbyCopies;
  private repartitions = 0;
  /** Partition count of the input topics (the default of repartitionByKey and of tasks). */
  private inputPartitions = 0;
  private readonly partitionCounts = new Map<string, number>();
  private tasks = new Set<number>();
  private readonly producers = new Map<number, TaskProducer>();
  /** `"topic:partition"` → start offset, for the partitions owned and restored. */
  private readonly ready = new Map<string, number>();
  private readonly rangesByTime = new Map<number, OffsetRange[]>();
  private readonly outbox: Outbox = new Map();
  private rebalances: Promise<void> = Promise.resolve();
  private generationNow = -1;
  private readonly generationAt = new Map<number, number>();
  private readonly assignments = new Subject<PartitionsAssignedInfo>();
  private stopped = false;
  private readonly completions = new BatchCompletions();
  /** Task → the latest batch generated when this copy lost it. */
  private readonly lostAt = new Map<number, number>();

  constructor(
    readonly graph: DStreamGraph,
    readonly applicationId: string,
    private readonly host: ScaleOutHost,
    /** Standbys per task (context option `standbyReplicas`, default 0). */
    readonly standbyReplicas = 0,
  ) {
    if (!Number.isInteger(standbyReplicas) || standbyReplicas < 0) {
      throw new RangeError(`standbyReplicas must be a non-negative integer, got ${standbyReplicas}`);
    }
    this.standbys = new StandbyCopies(() => this.client!, applicationId, (m) => host.log(m));
    if (typeof applicationId !== 'string' || !/^[A-Za-z0-9._-]+$/.test(applicationId)) {
      throw new TypeError(`applicationId must be a non-empty name of letters, digits, '.', '_' or '-' (it names Kafka topics), got ${JSON.stringify(applicationId)}`);
    }
    coordinators.set(graph, this);
    this.positions = positionsTopic(applicationId);
    host.addBatchHooks({
      onBatchCompleted: async (time) => {
        await this.commitBatch(time);
        this.followStandbys();
      },
    });
  }

  /** Every rebalance's outcome for this copy (RxJS). */
  get assignment$(): Observable<PartitionsAssignedInfo> {
    return this.assignments.asObservable();
  }

  /** The group generation batch `time` was generated in — when its partitions were fixed (−1 before the first assignment). */
  generationOf(time: number): number {
    return this.generationAt.get(time) ?? this.generationNow;
  }

  // ---- the graph registers its parts (before start) ---------------------------------------------

  register(topics: readonly string[], params: ResolvedKafkaParams): void {
    if (params.groupId !== undefined && params.groupId !== this.applicationId) {
      throw new TypeError(
        `kafkaParams "group.id" is ${JSON.stringify(params.groupId)}, but a scaled-out job's consumer group is its applicationId ${JSON.stringify(this.applicationId)}: leave "group.id" out or make them equal`,
      );
    }
    this.params ??= params;
    for (const t of topics) if (!this.topics.includes(t)) this.topics.push(t);
  }

  /** A direct stream the coordinator made (repartitionByKey's read-back): its batches are hooked like KafkaUtils' streams. */
  addStream(stream: { batchHooks: BatchHooks }): void {
    this.host.addBatchHooks(stream.batchHooks);
  }

  /** A new repartition topic `<applicationId>-repartition-<n>`; its partition count is settled at start (default: the inputs'). */
  addRepartitionTopic(numPartitions: number | undefined): string {
    const topic = `${this.applicationId}-repartition-${++this.repartitions}`;
    this.internalTopics.set(topic, numPartitions);
    return topic;
  }

  /** The params of the job's first direct stream, for the streams it creates itself. */
  get kafkaParams(): ResolvedKafkaParams {
    if (!this.params) throw new Error('repartitionByKey needs a direct Kafka stream upstream (KafkaUtils.createDirectStream) in a job with an applicationId');
    return this.params;
  }

  /** The partition count of one of the job's topics (known once the context started). */
  partitionCount(topic: string): number {
    const n = this.partitionCounts.get(topic);
    if (n === undefined) throw new Error(`${topic}: partition count not known before the context started`);
    return n;
  }

  /** Stage repartition records of batch `time`, made from input partition `task`. */
  stage(time: number, task: number, records: TaskRecord[]): void {
    if (records.length === 0) return;
    let byTask = this.outbox.get(time);
    if (!byTask) this.outbox.set(time, (byTask = new Map()));
    const l = byTask.get(task);
    if (l) for (const r of records) l.push(r);
    else byTask.set(task, records);
  }

  /** The ranges batch `time` reads of `topics`, in the stream's partition order. */
  rangesOf(time: number, topics: readonly string[]): OffsetRange[] {
    return (this.rangesByTime.get(time) ?? []).filter((r) => topics.includes(r.topic));
  }

  // ---- PartitionOwnership -------------------------------------------------------------------

  owned(topics: readonly string[], time: number): ReadonlyMap<string, number> {
    if (!this.generationAt.has(time)) this.generationAt.set(time, this.generationNow);
    this.completions.generated(time);
    const out = new Map<string, number>();
    for (const [k, start] of this.ready) if (topics.includes(k.slice(0, k.lastIndexOf(':')))) out.set(k, start);
    return out;
  }

  rangesDecided(time: number, ranges: readonly OffsetRange[]): void {
    if (process.env.DSTREAMS_SCALEOUT_DEBUG) this.host.log(`ranges ${time}: ${ranges.map((r) => `${r.topic.slice(-3)}:${r.partition}[${r.fromOffset},${r.untilOffset})`).join(' ')}`);
    const l = this.rangesByTime.get(time) ?? [];
    for (const r of ranges) l.push({ ...r });
    this.rangesByTime.set(time, l);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Creates the internal topics and finds the stateful streams to changelog. Before the inputs start. */
  async prepare(): Promise<void> {
    const params = this.kafkaParams;
    this.client = new KafkaClient(params, () => this.stopped);
    const inputs = this.topics.filter((t) => !this.internalTopics.has(t));
    const bounds = await this.client.topicBounds(inputs);
    for (const t of inputs) this.partitionCounts.set(t, bounds.filter((b) => b.topic === t).length);
    this.inputPartitions = Math.max(...this.partitionCounts.values());
    for (const [t, n] of this.internalTopics) this.partitionCounts.set(t, n ?? this.inputPartitions);
    for (const cl of StateChangelog.forGraph(this)) {
      this.changelogs.push(cl);
      cl.watch((time, records) => this.stageChanges(time, records));
    }
    const internal = [...this.internalTopics.keys(), ...this.changelogs.map((c) => c.topic), this.positions];
    if (internal.length > 0) this.host.log(`internal topics: ${internal.join(', ')}`);
    await this.client.ensureTopics([
      { topic: this.positions, numPartitions: Math.max(...this.partitionCounts.values()), config: { 'cleanup.policy': 'compact' } },
      ...[...this.internalTopics.keys()].map((topic) => ({ topic, numPartitions: this.partitionCount(topic) })),
      ...this.changelogs.map((c) => ({
        topic: c.topic,
        numPartitions: c.numPartitions,
        config: { 'cleanup.policy': 'compact' },
      })),
    ]);
  }

  /** Joins the group (after the inputs started). */
  async join(): Promise<void> {
    const params = this.kafkaParams;
    this.member = new GroupMember(this.client!.kafka, {
      groupId: this.applicationId,
      topics: this.topics,
      sessionTimeoutMs: params.sessionTimeoutMs,
      heartbeatIntervalMs: params.heartbeatIntervalMs,
      standbyReplicas: this.standbyReplicas,
      standbyTasks: () => this.standbys.followed,
      onAssigned: (a) => {
        this.rebalances = this.rebalances.then(() => this.rebalance(a)).catch((e: unknown) => this.host.fail(e));
      },
      onLost: (reason) => {
        this.rebalances = this.rebalances.then(() => this.loseAll(reason)).catch((e: unknown) => this.host.fail(e));
      },
      onError: (e) => this.host.fail(e),
    });
    await this.member.start();
  }

  /** Leaves the group, closes the task producers. After the last batch (graceful stop) or at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.member?.stop().catch(() => undefined);
    this.completions.stop();
    await this.rebalances.catch(() => undefined);
    await this.standbys.stop();
    await Promise.all([...this.producers.values()].map((p) => p.close()));
    this.producers.clear();
    await this.client?.close();
    this.assignments.complete();
  }

  // ---- rebalances ---------------------------------------------------------------------------

  private async rebalance(a: GroupAssignment): Promise<void> {
    if (this.stopped) return;
    await this.standbys.pause();
    try {
      await this.rebalanceNow(a);
    } finally {
      this.standbys.resume();
    }
    this.followStandbys();
  }

  private async rebalanceNow(a: GroupAssignment): Promise<void> {
    const started = Date.now();
    const next = new Set(a.partitions.map((p) => p.partition));
    const lost = [...this.tasks].filter((t) => !next.has(t));
    const gained = [...next].filter((t) => !this.tasks.has(t));
    this.generationNow = a.generation;
    for (const t of lost) this.loseTask(t);
    for (const cl of this.changelogs) cl.keepOnly(next);
    this.tasks = next;
    if (gained.length > 0) {
      // A task lost and gained again (a crash of the group member, or two quick rebalances):
      // batches generated while this copy had it before may still run — they read its old
      // ranges into the state. Its state is restored only once they are done, so none of
      // them adds those records on top of the restored state (nor commits with the new producer).
      const mustFinish = Math.max(...gained.map((t) => this.lostAt.get(t) ?? -Infinity));
      if (!this.completions.isDone(mustFinish)) {
        this.host.log(`tasks ${JSON.stringify(gained.filter((t) => this.lostAt.has(t)))} gained again: waiting for batch ${mustFinish} (generated before they were lost) to complete`);
        await this.completions.until(mustFinish);
        if (this.stopped) return;
      }
      const client = this.client!;
      await Promise.all(
        gained.map(async (t) => {
          const producer = new TaskProducer(client.kafka, `${this.applicationId}-task-${t}`, this.applicationId);
          // Fences the previous owner of the task before anything is read (tried again while Kafka has no coordinator).
          await tryTask(() => producer.open(), () => !this.stopped, (e, n) =>
            this.host.log(`task ${t}: producer not opened (${(e as Error).message}); trying again (${n}/${TASK_ATTEMPTS - 1})`),
          );
          this.producers.set(t, producer);
        }),
      );
      const topics = [...new Set(a.partitions.map((p) => p.topic))];
      const [committed, positions, bounds] = await Promise.all([
        client.committedOffsets(this.applicationId, topics),
        readPositions(client, this.positions, gained),
        client.topicBounds(topics),
      ]);
      const gainedSet = new Set(gained);
      // A gained task this copy followed as a standby: its copy is handed to the restore, which reads only the tail.
      const warm = gained.filter((t) => this.standbys.has(t));
      const readFrom = Date.now();
      const restored = await Promise.all(this.changelogs.map((cl) => cl.restore(client, gained, this.standbys.take(cl.topic, warm))));
      const readMs = Date.now() - readFrom;
      for (const p of a.partitions) {
        if (!gainedSet.has(p.partition)) continue;
        const key = tpKey(p.topic, p.partition);
        const b = bounds.find((x) => x.topic === p.topic && x.partition === p.partition)!;
        const internal = this.internalTopics.has(p.topic);
        // The later of the two: the group's may lag the task's last transaction (positions.ts); a copy of an earlier version wrote only the group's.
        const known = [positions.get(key), committed.get(key)].filter((o): o is number => o !== undefined);
        const start = known.length > 0 ? Math.max(...known) : (internal || this.kafkaParams.autoOffsetReset === 'earliest' ? b.low : b.high);
        this.ready.set(key, start);
      }
      const keys = restored.reduce((n, r) => n + r.keys, 0);
      const fromLocal = restored.reduce((n, r) => n + r.fromLocal, 0);
      const read = restored.reduce((n, r) => n + r.read, 0);
      const seeded = restored.reduce((n, r) => n + ((r as { seeded?: number }).seeded ?? 0), 0);
      if (this.changelogs.length > 0) {
        this.host.log(
          `restored ${keys} state keys of tasks ${JSON.stringify(gained)} in ${Date.now() - started} ms, ${read} changelog records read in ${readMs} ms` +
            (fromLocal > 0 ? ` (${fromLocal} task changelog(s) read from the local checkpoint's position on)` : '') +
            (warm.length > 0 ? ` (tasks ${JSON.stringify(warm)} from a standby's copy on)` : '') +
            (fromLocal === 0 && warm.length === 0 ? ' (changelogs read from their start)' : '') +
            (seeded > 0 ? `; ${seeded} of them from the initial state (tasks never committed before)` : ''),
        );
      }
    }
    await this.assignStandbys(a, next);
    const info: PartitionsAssignedInfo = { generation: a.generation, partitions: a.partitions.map((p) => ({ ...p })) };
    this.host.log(
      `generation ${a.generation}: member ${a.memberId} owns tasks ${JSON.stringify([...next].sort((x, y) => x - y))}` +
        ` (gained ${JSON.stringify(gained)}, lost ${JSON.stringify(lost)})`,
    );
    this.host.post(info);
    this.assignments.next(info);
  }

  /** The standby tasks of this assignment (none when the option is 0). */
  private async assignStandbys(a: GroupAssignment, owned: ReadonlySet<number>): Promise<void> {
    if (this.standbyReplicas === 0 || this.changelogs.length === 0) return;
    const standby = await this.standbys.assign(a.memberId, owned);
    if (standby.length > 0) this.host.log(`generation ${a.generation}: standby for tasks ${JSON.stringify(standby)}`);
  }

  private followStandbys(): void {
    if (!this.stopped) this.standbys.follow(this.changelogs.map((cl) => cl.topic));
  }

  /**
   * The group member crashed (or was disconnected): it is no member, so other copies may be
   * given its tasks at any moment. Every task is lost as in a rebalance (producers closed, state
   * dropped, no more batches read them; a batch generated before is not committed and its
   * PostgreSQL writes are fenced once a new owner wrote) until the new member's assignment.
   */
  private loseAll(reason: string): void {
    if (this.stopped) return;
    const lost = [...this.tasks].sort((x, y) => x - y);
    for (const t of lost) this.loseTask(t);
    for (const cl of this.changelogs) cl.keepOnly(new Set());
    this.host.log(`group member crashed: ${reason}; lost tasks ${JSON.stringify(lost)} until the next assignment`);
  }

  // ---- per batch ----------------------------------------------------------------------------

  /**
   * An output found task `task` fenced at batch `time` (its new owner wrote it): this copy lost
   * it and the rebalance has not reached it yet. The task stops here at once: no commit, no
   * more batches (the rebalance will confirm it).
   */
  fenced(task: number, time: number, why: string): void {
    this.host.log(`batch ${time}: task ${task} fenced: ${why}`);
    this.loseTask(task);
  }

  private loseTask(task: number): void {
    this.lostAt.set(task, this.completions.latestGenerated);
    for (const k of [...this.ready.keys()]) if (Number(k.slice(k.lastIndexOf(':') + 1)) === task) this.ready.delete(k);
    const producer = this.producers.get(task);
    this.producers.delete(task);
    void producer?.close();
    if (this.tasks.delete(task)) for (const cl of this.changelogs) cl.drop(task);
  }

  private stageChanges(time: number, records: ReadonlyArray<{ task: number; record: TaskRecord }>): void {
    const read = new Set((this.rangesByTime.get(time) ?? []).map((r) => r.partition));
    for (const { task, record } of records) {
      // A task the batch did not read but this copy owns (just gained: e.g. its restored window
      // batches leaving the window) is staged too; one neither read nor owned is a key that does
      // not follow the input's partitioning.
      if (!read.has(task) && !this.tasks.has(task)) {
        throw new Error(
          `state key ${JSON.stringify(record.key)} belongs to partition ${task}, which batch ${time} does not read: a scaled-out ` +
            'stateful stream must be keyed like its input (use repartitionByKey before it)',
        );
      }
      this.stage(time, task, [record]);
    }
  }

  /** One transaction per task the batch read: its staged records and the offsets it read up to. */
  private async commitBatch(time: number): Promise<void> {
    try {
      await this.commitTasks(time);
    } finally {
      this.completions.done(time);
    }
  }

  private async commitTasks(time: number): Promise<void> {
    const t0 = Date.now();
    for (const cl of this.changelogs) if ('beforeCommit' in cl) cl.beforeCommit(time);
    const ranges = this.rangesByTime.get(time) ?? [];
    const staged = this.outbox.get(time) ?? new Map<number, TaskRecord[]>();
    const tasks = new Set([...ranges.map((r) => r.partition), ...staged.keys()]);
    await Promise.all(
      [...tasks].map(async (task) => {
        const producer = this.producers.get(task);
        if (!producer) {
          this.host.log(`batch ${time}: task ${task} moved to another copy; not committed here (its new owner resumes from the last commit)`);
          return;
        }
        const mine = ranges.filter((r) => r.partition === task);
        const records = [...(staged.get(task) ?? [])];
        // Nothing read, nothing written: no transaction.
        if (records.length === 0 && mine.every((r) => r.untilOffset === r.fromOffset)) return;
        const offsets = mine.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.untilOffset }));
        if (offsets.length > 0) records.push(positionsRecord(this.positions, task, offsets));
        const again = (e: unknown): boolean => e instanceof TaskCommitFailed && e.retriable && this.producers.get(task) === producer && !this.stopped;
        try {
          const ends = await tryTask(() => producer.commitBatch(records, offsets), again, (e, n) =>
            this.host.log(`batch ${time}: task ${task} not committed (${(e as Error).message}); trying again (${n}/${TASK_ATTEMPTS - 1})`),
          );
          for (const cl of this.changelogs) cl.committed(task, ends);
        } catch (e) {
          if (this.producers.get(task) !== producer || this.stopped || isProducerFenced(e)) {
            this.host.log(`batch ${time}: task ${task} not committed, it moved to another copy: ${(e as Error).message}`);
            if (this.producers.get(task) === producer) this.loseTask(task);
            return;
          }
          throw e;
        }
      }),
    );
    if (process.env.DSTREAMS_SCALEOUT_DEBUG) {
      this.host.log(`batch ${time}: ${[...staged.values()].reduce((n, l) => n + l.length, 0)} records committed in ${tasks.size} transactions in ${Date.now() - t0} ms`);
    }
    for (const m of [this.rangesByTime, this.outbox, this.generationAt] as Map<number, unknown>[]) {
      for (const t of m.keys()) if (t <= time) m.delete(t);
    }
  }

  /** The partition of a key among a topic's partitions (the default partitioner). */
  partitionOfKey(key: unknown, topic: string): number {
    return partitionForKey(key, this.partitionCount(topic));
  }
}
