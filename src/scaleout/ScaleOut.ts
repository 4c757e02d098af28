/**
 * One copy of a scaled-out job (a StreamingContext with an `applicationId`): Kafka Streams'
 * model in the DStream world. The copies of a job form one consumer group; Kafka's group
 * protocol assigns tasks (task p = partition p of every input and internal topic, see
 * kafka/group.ts); each copy's direct streams read exactly the ranges of its own partitions.
 * This file is the copy's registration, lifecycle and per-batch bookkeeping; what a rebalance
 * does is assignment.ts, the per-batch commit transactions.ts; changelogs, standby copies,
 * repartitioning and fenced writes are beside them.
 *
 * When things happen:
 *  - before start: the graph registers its direct streams' topics (`register`) and
 *    repartitionByKey its topics (`addRepartitionTopic`).
 *  - prepare() (context start, before the inputs): internal topics are created —
 *    `<applicationId>-repartition-<n>` and `<applicationId>-<state>-changelog` (compacted).
 *  - join() (after the inputs started): the copy joins the group.
 *  - a rebalance, or the group member crashed (assignment.ts, one at a time, in order): each
 *    task lost is dropped before the next batch; each task gained fences the copy that had it,
 *    and is restored (offsets, states) before the direct streams read its partitions.
 *  - a batch generated (`owned`, `rangesDecided`): its partitions, their ranges and its group
 *    generation are fixed here until it commits.
 *  - a batch completed (hook, after every output): per task the batch read, ONE Kafka
 *    transaction (transactions.ts). Then the standby copies catch up.
 *
 * So per task the input offsets, the repartition records and the state changes move together:
 * a crash at any point leaves the last committed batch, and whoever owns the task next resumes
 * exactly there. Outputs outside Kafka (PostgreSQL) are exactly once when they are idempotent
 * per key and fenced by generation (scaleout/postgres.ts).
 */
import type { Observable } from 'rxjs';
import type { BatchHooks } from '../context/JobScheduler.js';
import type { PartitionsAssignedInfo } from '../context/StreamingListener.js';
import type { OwnedPartition, PartitionOwnership } from '../direct/ownership.js';
import { KafkaClient } from '../kafka/client.js';
import { GroupMember } from '../kafka/group.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import type { ResolvedKafkaParams } from '../kafka/params.js';
import { partitionForKey } from '../kafka/partitioner.js';
import type { TaskRecord } from '../kafka/taskProducer.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { StateChangelog, type Changelog } from './changelog.js';
import { StandbyCopies } from './standbyCopies.js';
import { BatchCompletions } from './completions.js';
import { positionsTopic } from './positions.js';
import { TaskAssignment } from './assignment.js';
import { TaskTransactions } from './transactions.js';

export interface ScaleOutHost {
  addBatchHooks(hooks: BatchHooks): void;
  post(info: PartitionsAssignedInfo): void;
  fail(error: unknown): void;
  log(message: string): void;
}

const coordinators = new WeakMap<DStreamGraph, ScaleOut>();

export class ScaleOut implements PartitionOwnership {
  /** Whether this copy owns task `task` now. */
  owns(task: number): boolean {
    return this.assignment.tasks.has(task);
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
  private readonly rangesByTime = new Map<number, OffsetRange[]>();
  private readonly generationAt = new Map<number, number>();
  private stopped = false;
  private readonly completions = new BatchCompletions();
  /** The tasks owned, and what a rebalance does to them (assignment.ts). */
  private readonly assignment: TaskAssignment;
  /** Each batch's task transactions (transactions.ts). */
  private readonly transactions: TaskTransactions;

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
    const common = {
      positions: this.positions,
      changelogs: this.changelogs,
      completions: this.completions,
      isStopped: () => this.stopped,
      log: (m: string) => host.log(m),
    };
    this.assignment = new TaskAssignment({
      ...common,
      applicationId,
      standbyReplicas,
      internalTopics: this.internalTopics,
      standbys: this.standbys,
      kafkaParams: () => this.kafkaParams,
      client: () => this.client!,
      post: (info) => host.post(info),
      fail: (e) => host.fail(e),
    });
    this.transactions = new TaskTransactions({
      ...common,
      assignment: this.assignment,
      rangesAt: (time) => this.rangesByTime.get(time) ?? [],
      forget: (time) => {
        for (const m of [this.rangesByTime, this.generationAt] as Map<number, unknown>[]) {
          for (const t of m.keys()) if (t <= time) m.delete(t);
        }
      },
    });
    host.addBatchHooks({
      onBatchCompleted: async (time) => {
        await this.transactions.commitBatch(time);
        this.assignment.followStandbys();
      },
    });
  }

  /** Every rebalance's outcome for this copy (RxJS). */
  get assignment$(): Observable<PartitionsAssignedInfo> {
    return this.assignment.assignment$;
  }

  /** The group generation batch `time` was generated in — when its partitions were fixed (−1 before the first assignment). */
  generationOf(time: number): number {
    return this.generationAt.get(time) ?? this.assignment.generation;
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

  /** The partition of a key among a topic's partitions (the default partitioner). */
  partitionOfKey(key: unknown, topic: string): number {
    return partitionForKey(key, this.partitionCount(topic));
  }

  /** Stage repartition records of batch `time`, made from input partition `task`. */
  stage(time: number, task: number, records: TaskRecord[]): void {
    this.transactions.stage(time, task, records);
  }

  /** The ranges batch `time` reads of `topics`, in the stream's partition order. */
  rangesOf(time: number, topics: readonly string[]): OffsetRange[] {
    return (this.rangesByTime.get(time) ?? []).filter((r) => topics.includes(r.topic));
  }

  // ---- PartitionOwnership -------------------------------------------------------------------

  owned(topics: readonly string[], time: number): ReadonlyMap<string, OwnedPartition> {
    if (!this.generationAt.has(time)) this.generationAt.set(time, this.assignment.generation);
    this.completions.generated(time);
    const out = new Map<string, OwnedPartition>();
    for (const [k, owned] of this.assignment.ready) if (topics.includes(k.slice(0, k.lastIndexOf(':')))) out.set(k, owned);
    return out;
  }

  rangesDecided(time: number, ranges: readonly OffsetRange[]): void {
    if (process.env.DSTREAMS_SCALEOUT_DEBUG) this.host.log(`ranges ${time}: ${ranges.map((r) => `${r.topic.slice(-3)}:${r.partition}[${r.fromOffset},${r.untilOffset})`).join(' ')}`);
    const l = this.rangesByTime.get(time) ?? [];
    for (const r of ranges) l.push({ ...r });
    this.rangesByTime.set(time, l);
  }

  /**
   * An output found task `task` fenced at batch `time` (its new owner wrote it): this copy lost
   * it and the rebalance has not reached it yet. The task stops here at once: no commit, no
   * more batches (the rebalance will confirm it).
   */
  fenced(task: number, time: number, why: string): void {
    const lost = this.assignment.fenced(task, time);
    this.host.log(`batch ${time}: task ${task} fenced: ${why}${lost ? '' : ' (a batch from before this copy last lost the task: nothing more to do)'}`);
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
      cl.watch((time, records) => this.transactions.stageChanges(time, records));
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
      onAssigned: (a) => this.assignment.assigned(a),
      onLost: (reason) => this.assignment.lost(reason),
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
    await this.assignment.settled();
    await this.standbys.stop();
    await this.assignment.closeProducers();
    await this.client?.close();
    this.assignment.complete();
  }
}
