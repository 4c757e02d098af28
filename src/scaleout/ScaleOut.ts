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
 *    `<applicationId>-repartition-<n>` and `<applicationId>-<state>-changelog` (compacted) — or
 *    grown to the inputs' partitions (internalTopics.ts); the state the local checkpoint brought
 *    back is held until its tasks are gained (changelog.ts).
 *  - join() (after the inputs started): the copy joins the group (its member noticing partitions
 *    added to an input within seconds, newPartitions.ts).
 *  - a rebalance, or the group member crashed (assignment.ts, one at a time, in order): each
 *    task lost is dropped before the next batch; each task gained fences the copy that had it,
 *    and is restored (offsets, states) before the direct streams read its partitions.
 *  - a batch generated (`owned`, `rangesDecided`): its partitions, their ranges and its group
 *    generation are fixed here until it commits.
 *  - a batch completed (hook, after every output): per task the batch read, ONE Kafka
 *    transaction (transactions.ts). Then the standby copies catch up.
 *  - Kafka unreachable (a broker outage): a task transaction that cannot get through closes its
 *    tasks and the copy rejoins the group; the member keeps rejoining for retry.timeout.ms
 *    (kafka/group.ts), and the tasks come back restored from their last commit.
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
import { KafkaClient, type PartitionBounds } from '../kafka/client.js';
import { GroupMember } from '../kafka/group.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import type { ResolvedKafkaParams } from '../kafka/params.js';
import { FatalKafkaError, withRetry } from '../kafka/retry.js';
import { partitionForKey } from '../kafka/partitioner.js';
import type { TaskRecord } from '../kafka/taskProducer.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { StateChangelog, type Changelog } from './changelog.js';
import { StandbyCopies } from './standbyCopies.js';
import { WindowBatchesChangelog } from './windowBatches.js';
import { BatchCompletions } from './completions.js';
import { positionsTopic } from './positions.js';
import { TaskAssignment, type FenceRefusal } from './assignment.js';
import { TaskTransactions } from './transactions.js';
import { existingPartitions, fit, type TopicNeed } from './internalTopics.js';
import { checkingPartitions } from './newPartitions.js';

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

  /**
   * Whether batch `time` may hold keys of task `task`: it reads the task, or this copy owns it,
   * or owned it after the batch was generated (its state may have been computed before the loss).
   */
  mayHold(time: number, task: number): boolean {
    return this.reads(time, task) || this.owns(task) || this.assignment.lostSince(task, time);
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
      rejoin: (reason: string, cause: unknown) => this.member?.rejoin(reason, cause),
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
      inputsNow: (bounds) => this.inputsNow(bounds),
      post: (info) => {
        this.member?.recovered(info.generation); // a rebalance done: Kafka answers
        host.post(info);
      },
      fail: (e) => host.fail(e),
    });
    this.transactions = new TaskTransactions({
      ...common,
      assignment: this.assignment,
      partitionsOf: (topic) => this.partitionCounts.get(topic),
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
   * more batches (the rebalance will confirm it). A fence newer than this copy's generation
   * with no rebalance coming (the group started over) fails the copy instead (assignment.ts).
   */
  fenced(task: number, time: number, why: string, refusal?: FenceRefusal): void {
    const lost = this.assignment.fenced(task, time);
    this.host.log(`batch ${time}: task ${task} fenced: ${why}${lost ? '' : ' (a batch from before this copy last lost the task: nothing more to do)'}`);
    if (refusal && refusal.by > this.assignment.generation) this.assignment.checkGroupReset(task, refusal);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /**
   * Creates the internal topics (grown to the inputs' partitions when they exist: internalTopics.ts)
   * and finds the stateful streams to changelog. Before the inputs start.
   */
  async prepare(): Promise<void> {
    const params = this.kafkaParams;
    const client = (this.client = new KafkaClient(params, () => this.stopped));
    const inputs = this.topics.filter((t) => !this.internalTopics.has(t));
    const bounds = await client.topicBounds(inputs);
    for (const t of inputs) this.partitionCounts.set(t, bounds.filter((b) => b.topic === t).length);
    this.inputPartitions = Math.max(...this.partitionCounts.values());
    // A repartition topic keeps the count it was created with (the inputs' then, by default): its keys stay in their tasks.
    const repartitions = await this.retried('looking up the repartition topics', () => existingPartitions(client.kafka, [...this.internalTopics.keys()]));
    for (const [t, n] of this.internalTopics) {
      const have = repartitions.get(t);
      if (n === undefined && have !== undefined && have > this.inputPartitions) {
        throw new FatalKafkaError(
          `topic ${t} has ${have} partitions, more than the job's inputs (${inputs.join(', ')}: ${this.inputPartitions}): was an input recreated with fewer partitions? ` +
            "A job's tasks cannot shrink: give the input its partitions back, or delete the job's internal topics (its positions and state) to start it over",
        );
      }
      this.partitionCounts.set(t, n ?? have ?? this.inputPartitions);
    }
    for (const cl of StateChangelog.forGraph(this)) {
      this.changelogs.push(cl);
      cl.watch((time, records) => this.transactions.stageChanges(time, records));
      // Until the group assigns tasks this copy owns none: nothing its local checkpoint brought back is processed.
      cl.holdAll();
    }
    const internal = [...this.internalTopics.keys(), ...this.changelogs.map((c) => c.topic), this.positions];
    if (internal.length > 0) this.host.log(`internal topics: ${internal.join(', ')}`);
    const needs = this.perTaskTopics();
    await this.retried(`fitting topics ${JSON.stringify(needs.map((n) => n.topic))} to the inputs' partitions`, async () =>
      fit(client.kafka, needs, await existingPartitions(client.kafka, needs.map((n) => n.topic)), (m) => this.host.log(m)),
    );
    await client.ensureTopics([
      ...needs.map((n) => ({ topic: n.topic, numPartitions: n.need, config: { 'cleanup.policy': 'compact' } })),
      ...[...this.internalTopics.keys()].map((topic) => ({ topic, numPartitions: this.partitionCount(topic) })),
    ]);
    for (const n of needs) this.partitionCounts.set(n.topic, n.need);
  }

  /** The topics kept per task (positions, changelogs) and the partitions they need now. */
  private perTaskTopics(): TopicNeed[] {
    const tasks = Math.max(...[...this.partitionCounts].filter(([t]) => this.topics.includes(t)).map(([, n]) => n));
    return [
      { topic: this.positions, need: tasks, from: `the partitions of ${this.topics.join(', ')}` },
      // A changelog's tasks are its inputs' partitions (a keyed one whose input grew is refused).
      ...this.changelogs.map((c) => ({
        topic: c.topic,
        need: Math.max(...c.sources.map((t) => this.partitionCount(t))),
        from: `the partitions of ${c.sources.join(', ')}`,
        ...(c.keyed && c.sources.some((t) => !this.internalTopics.has(t)) ? { keyedOn: c.sources } : {}),
      })),
    ];
  }

  /**
   * A gain's lookup of the job's topics: when an input has more partitions than this copy knew
   * (added while it runs), the topics kept per task grow with it before the new tasks write to
   * them — or the copy stops, saying why (internalTopics.ts).
   */
  async inputsNow(bounds: readonly PartitionBounds[]): Promise<void> {
    const grown = new Map<string, number>();
    for (const t of this.topics) {
      if (this.internalTopics.has(t)) continue;
      const n = bounds.filter((b) => b.topic === t).length;
      if (n > (this.partitionCounts.get(t) ?? 0)) grown.set(t, n);
    }
    if (grown.size === 0) return;
    for (const [t, n] of grown) this.host.log(`input topic ${t} has ${n} partitions now (${this.partitionCounts.get(t)} before): its new partitions are read from their start`);
    const was = new Map(this.partitionCounts);
    for (const [t, n] of grown) this.partitionCounts.set(t, n);
    for (const cl of this.changelogs) {
      const n = Math.max(...cl.sources.map((t) => this.partitionCounts.get(t) ?? 0));
      if (n > cl.numPartitions && cl instanceof WindowBatchesChangelog && !cl.keyed) cl.grow(n);
    }
    const needs = this.perTaskTopics();
    await this.retried(`growing topics ${JSON.stringify(needs.map((n) => n.topic))}`, () =>
      fit(this.client!.kafka, needs, new Map(needs.map((n) => [n.topic, was.get(n.topic)!])), (m) => this.host.log(m)),
    );
    for (const n of needs) this.partitionCounts.set(n.topic, n.need);
  }

  /** An admin operation on the internal topics, retried as the job's Kafka params allow (a refusal is not retried). */
  private retried<T>(what: string, op: () => Promise<T>): Promise<T> {
    const p = this.kafkaParams;
    return withRetry(op, { what: `${what} (Kafka ${p.brokers.join(',')})`, timeoutMs: p.retryTimeoutMs, topicWaitMs: p.topicWaitMs, giveUp: () => this.stopped });
  }

  /** Joins the group (after the inputs started). */
  async join(): Promise<void> {
    const params = this.kafkaParams;
    this.member = new GroupMember(checkingPartitions(this.client!.kafka), {
      groupId: this.applicationId,
      topics: this.topics,
      sessionTimeoutMs: params.sessionTimeoutMs,
      heartbeatIntervalMs: params.heartbeatIntervalMs,
      standbyReplicas: this.standbyReplicas,
      standbyTasks: () => this.standbys.followed,
      retryTimeoutMs: params.retryTimeoutMs,
      brokers: params.brokers,
      onAssigned: (a) => this.assignment.assigned(a),
      onLost: (reason) => this.assignment.lost(reason),
      onError: (e) => this.host.fail(e),
      log: (m) => this.host.log(m),
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
