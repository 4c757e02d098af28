/**
 * Which tasks a scaled-out copy owns (ScaleOut.ts), and what gaining or losing one does: the
 * task's transactional producer, the offsets its input partitions start from, its state.
 *
 * When things happen:
 *  - a rebalance (`assigned`, one at a time, in order, standby catch-ups paused): each task
 *    lost — its producer closed, its keys dropped from every state before the next batch; each
 *    task gained — its transactional producer opened (which fences the copy that had it and
 *    ends that copy's open transaction), its last offsets read (from `<applicationId>-positions`,
 *    see positions.ts, or the group's committed offsets, whichever is later; without either,
 *    starts.ts decides — and a start at a partition's end now is committed before a batch
 *    reads it), the internal topics grown if an input grew (ScaleOut.inputsNow), each
 *    state's and window's changelog partition read to its end (from its start, the local
 *    checkpoint's position or a standby copy's, standbyCopies.ts) and put into the state; only
 *    then do the direct streams read the task's partitions (`ready`, from the next batch
 *    generated). Then the copy's standbys of the generation, `assignment$`, the listener event
 *    and a log line.
 *  - the group member crashes (`lost`, kafka/group.ts): every task is lost at once, as above; a
 *    new member of the group joins and the next assignment gains tasks as above. A task gained
 *    again is restored only once the batches generated while this copy last had it are done.
 *    A gain that fails because Kafka went away again (kafkajs's own error, not one that already
 *    retried for retry.timeout.ms) makes the copy join the group again, as a crash would.
 *  - an output finds a task fenced, or its commit finds it moved (`lose`): that task alone. A
 *    fence of a generation newer than the copy's (`checkGroupReset`) asks the group coordinator
 *    whether a rebalance is coming; when the copy's generation is the group's current one, the
 *    group started over (deleted or expired) and the copy fails, saying what to do.
 */
import { Subject, type Observable } from 'rxjs';
import type { PartitionsAssignedInfo } from '../context/StreamingListener.js';
import type { OwnedPartition } from '../direct/ownership.js';
import type { KafkaClient, PartitionBounds } from '../kafka/client.js';
import type { GroupAssignment } from '../kafka/group.js';
import { isKafkaUnreachable } from '../kafka/outage.js';
import { tpKey, type ResolvedKafkaParams } from '../kafka/params.js';
import { KafkaStreamError } from '../kafka/retry.js';
import { isProducerFenced, TASK_ATTEMPTS, TaskCommitFailed, TaskProducer, tryTask } from '../kafka/taskProducer.js';
import type { Changelog } from './changelog.js';
import type { BatchCompletions } from './completions.js';
import { positionsRecord, readTaskPositions } from './positions.js';
import { decideStarts, type Starts } from './starts.js';
import type { StandbyCopies } from './standbyCopies.js';

/** What the assignment needs of its copy (ScaleOut). */
export interface AssignmentHost {
  readonly applicationId: string;
  readonly standbyReplicas: number;
  /** `<applicationId>-positions` (positions.ts). */
  readonly positions: string;
  /** The job's internal topics (read from their start when no offset is known). */
  readonly internalTopics: ReadonlyMap<string, number | undefined>;
  /** The changelogs of the job's states and windows (found at prepare). */
  readonly changelogs: readonly Changelog[];
  readonly standbys: StandbyCopies;
  readonly completions: BatchCompletions;
  /** The params of the job's direct streams (ScaleOut.kafkaParams). */
  kafkaParams(): ResolvedKafkaParams;
  /** The copy's Kafka client (made at prepare). */
  client(): KafkaClient;
  /** The partitions of the job's topics now (a gain's lookup): internal topics grown if an input grew, or an error saying why not. */
  inputsNow(bounds: readonly PartitionBounds[]): Promise<void>;
  isStopped(): boolean;
  post(info: PartitionsAssignedInfo): void;
  fail(error: unknown): void;
  /** The copy leaves the group and joins again (kafka/group.ts `rejoin`). */
  rejoin(reason: string, cause: unknown): void;
  log(message: string): void;
}

/** An output's fence refused a write (scaleout/postgres.ts): what the copy tells when no rebalance will come. */
export interface FenceRefusal {
  /** The output, e.g. `PostgresSink "totals"`. */
  output: string;
  /** `"topic:partition"` the fence named. */
  partition: string;
  /** The generation that wrote the partition (higher than the refused write's). */
  by: number;
  /** How to forget the output's generations (SQL or an API call). */
  forget: string;
}

export class TaskAssignment {
  private owned = new Set<number>();
  private readonly producers = new Map<number, TaskProducer>();
  /** `"topic:partition"` → where it starts and which gain it is, for the partitions owned and restored. */
  readonly ready = new Map<string, OwnedPartition>();
  /** Gains so far: each gain of a partition has its own number (a partition lost and gained again between two batches restarts). */
  private gains = 0;
  private rebalances: Promise<void> = Promise.resolve();
  private generationNow = -1;
  /** The group member of the latest assignment. */
  private memberNow: string | undefined;
  /** `member@generation` whose group-reset check runs or ran (one per assignment). */
  private resetChecked: string | undefined;
  private readonly assignments = new Subject<PartitionsAssignedInfo>();
  /** Task → the latest batch generated when this copy lost it. */
  private readonly lostAt = new Map<number, number>();
  /** Input topic → its partition count when the job first read it (starts.ts), as far as this copy knows. */
  private startedWith = new Map<string, number>();

  constructor(private readonly host: AssignmentHost) {}

  /** The tasks this copy owns now. */
  get tasks(): ReadonlySet<number> {
    return this.owned;
  }

  /** The group generation of the latest assignment (−1 before the first). */
  get generation(): number {
    return this.generationNow;
  }

  /** Every rebalance's outcome for this copy (RxJS). */
  get assignment$(): Observable<PartitionsAssignedInfo> {
    return this.assignments.asObservable();
  }

  /** Input topic → its partition count when the job first read it, for the positions records (positions.ts). */
  get started(): ReadonlyMap<string, number> {
    return this.startedWith;
  }

  /** The transactional producer of an owned task. */
  producer(task: number): TaskProducer | undefined {
    return this.producers.get(task);
  }

  /** The group assigned tasks: handled after the rebalances before it. */
  assigned(a: GroupAssignment): void {
    this.rebalances = this.rebalances
      .then(() => this.rebalance(a))
      .catch((e: unknown) => {
        // The group member's budget bounds how long this goes on (kafka/group.ts).
        if (!(e instanceof KafkaStreamError) && isKafkaUnreachable(e) && !this.host.isStopped()) {
          this.host.rejoin(`generation ${a.generation}: tasks not gained, Kafka did not answer (${(e as Error).message})`, e);
        } else this.host.fail(e);
      });
  }

  /** The group member crashed (`reason`: what to log, undefined when said already): handled after the rebalances before it. */
  lost(reason: string | undefined): void {
    this.rebalances = this.rebalances.then(() => this.loseAll(reason)).catch((e: unknown) => this.host.fail(e));
  }

  /** Once the rebalances under way are done (at stop). */
  settled(): Promise<void> {
    return this.rebalances.catch(() => undefined);
  }

  /** Closes the task producers (the copy stops). */
  async closeProducers(): Promise<void> {
    await Promise.all([...this.producers.values()].map((p) => p.close()));
    this.producers.clear();
  }

  /** Ends `assignment$` (the copy stopped). */
  complete(): void {
    this.assignments.complete();
  }

  followStandbys(): void {
    if (!this.host.isStopped()) this.host.standbys.follow(this.host.changelogs.map((cl) => cl.topic));
  }

  private async rebalance(a: GroupAssignment): Promise<void> {
    if (this.host.isStopped()) return;
    await this.host.standbys.pause();
    try {
      await this.rebalanceNow(a);
    } finally {
      this.host.standbys.resume();
    }
    this.followStandbys();
  }

  private async rebalanceNow(a: GroupAssignment): Promise<void> {
    const started = Date.now();
    const next = new Set(a.partitions.map((p) => p.partition));
    // A new member id: this copy's membership expired (a pause past the session timeout) and
    // kafkajs joined again as a new member — meanwhile another copy may have owned its tasks and
    // committed them. Every task is lost, and gained anew if assigned (producer, positions, state).
    const rejoined = this.memberNow !== undefined && a.memberId !== this.memberNow;
    const kept = rejoined ? new Set<number>() : this.owned;
    const lost = [...this.owned].filter((t) => !kept.has(t) || !next.has(t));
    const gained = [...next].filter((t) => !kept.has(t));
    if (rejoined && this.owned.size > 0) this.host.log(`member ${this.memberNow} expired, joined again as ${a.memberId}: its tasks ${JSON.stringify([...this.owned].sort((x, y) => x - y))} are gained anew`);
    this.generationNow = a.generation;
    this.memberNow = a.memberId;
    for (const t of lost) this.lose(t);
    for (const cl of this.host.changelogs) cl.keepOnly(next);
    this.owned = next;
    if (gained.length > 0 && !(await this.gain(a, gained, started))) return;
    await this.assignStandbys(a, next);
    const info: PartitionsAssignedInfo = { generation: a.generation, partitions: a.partitions.map((p) => ({ ...p })) };
    this.host.log(
      `generation ${a.generation}: member ${a.memberId} owns tasks ${JSON.stringify([...next].sort((x, y) => x - y))}` +
        ` (gained ${JSON.stringify(gained)}, lost ${JSON.stringify(lost)})`,
    );
    this.host.post(info);
    this.assignments.next(info);
  }

  /** The tasks gained: producers opened (fencing their previous owners), start offsets read, states restored. False: the copy stopped first. */
  private async gain(a: GroupAssignment, gained: number[], started: number): Promise<boolean> {
    const host = this.host;
    // A task lost and gained again (a crash of the group member, or two quick rebalances):
    // batches generated while this copy had it before may still run — they read its old
    // ranges into the state. Its state is restored only once they are done, so none of
    // them adds those records on top of the restored state (nor commits with the new producer).
    const mustFinish = Math.max(...gained.map((t) => this.lostAt.get(t) ?? -Infinity));
    if (!host.completions.isDone(mustFinish)) {
      host.log(`tasks ${JSON.stringify(gained.filter((t) => this.lostAt.has(t)))} gained again: waiting for batch ${mustFinish} (generated before they were lost) to complete`);
      await host.completions.until(mustFinish);
      if (host.isStopped()) return false;
    }
    const client = host.client();
    await Promise.all(
      gained.map(async (t) => {
        const producer = new TaskProducer(client.kafka, `${host.applicationId}-task-${t}`, host.applicationId);
        // Fences the previous owner of the task before anything is read (tried again while Kafka has no coordinator).
        await tryTask(() => producer.open(), () => !host.isStopped(), (e, n) =>
          host.log(`task ${t}: producer not opened (${(e as Error).message}); trying again (${n}/${TASK_ATTEMPTS - 1})`),
        );
        this.producers.set(t, producer);
      }),
    );
    const topics = [...new Set(a.partitions.map((p) => p.topic))];
    const [committed, own, bounds] = await Promise.all([
      client.committedOffsets(host.applicationId, topics),
      readTaskPositions(client, host.positions, gained),
      client.topicBounds(topics),
    ]);
    // Partitions added to an input: the internal topics grow with it (or the copy stops, saying why) before a task writes to them.
    await host.inputsNow(bounds);
    const starts = await decideStarts({
      partitions: a.partitions.filter((p) => gained.includes(p.partition)),
      bounds,
      own,
      committed,
      isInternal: (t) => host.internalTopics.has(t),
      reset: host.kafkaParams().autoOffsetReset,
      started: this.startedWith,
      everyTask: () => readTaskPositions(client, host.positions),
    });
    this.startedWith = starts.started;
    await this.recordStarts(a, starts);
    if (host.isStopped()) return false;
    // Less any task lost meanwhile (its start record fenced).
    const restoring = gained.filter((t) => this.owned.has(t));
    // A gained task this copy followed as a standby: its copy is handed to the restore, which reads only the tail.
    const warm = restoring.filter((t) => host.standbys.has(t));
    const readFrom = Date.now();
    const restored = await Promise.all(host.changelogs.map((cl) => cl.restore(client, restoring, host.standbys.take(cl.topic, warm))));
    const readMs = Date.now() - readFrom;
    for (const p of a.partitions) {
      if (!restoring.includes(p.partition)) continue;
      const key = tpKey(p.topic, p.partition);
      this.ready.set(key, { start: starts.start.get(key)!, gain: ++this.gains });
    }
    const keys = restored.reduce((n, r) => n + r.keys, 0);
    const fromLocal = restored.reduce((n, r) => n + r.fromLocal, 0);
    const read = restored.reduce((n, r) => n + r.read, 0);
    const seeded = restored.reduce((n, r) => n + ((r as { seeded?: number }).seeded ?? 0), 0);
    if (host.changelogs.length > 0) {
      host.log(
        `restored ${keys} state keys of tasks ${JSON.stringify(gained)} in ${Date.now() - started} ms, ${read} changelog records read in ${readMs} ms` +
          (fromLocal > 0 ? ` (${fromLocal} task changelog(s) read from the local checkpoint's position on)` : '') +
          (warm.length > 0 ? ` (tasks ${JSON.stringify(warm)} from a standby's copy on)` : '') +
          (fromLocal === 0 && warm.length === 0 ? ' (changelogs read from their start)' : '') +
          (seeded > 0 ? `; ${seeded} of them from the initial state (tasks never committed before)` : ''),
      );
    }
    return true;
  }

  /**
   * The gained tasks with a partition starting at its end now (starts.ts) commit where they start
   * — a positions record and the group's offsets — before any batch reads them. A task whose
   * transaction was fenced (it moved on already) is lost.
   */
  private async recordStarts(a: GroupAssignment, starts: Starts): Promise<void> {
    await Promise.all(
      [...starts.record].map(async (task) => {
        const producer = this.producers.get(task);
        if (!producer) return;
        const offsets = a.partitions
          .filter((p) => p.partition === task && starts.recorded.has(tpKey(p.topic, task)))
          .map((p) => ({ topic: p.topic, partition: task, offset: starts.start.get(tpKey(p.topic, task))! }));
        const records = [positionsRecord(this.host.positions, task, offsets, this.startedWith)];
        const again = (e: unknown): boolean => e instanceof TaskCommitFailed && e.retriable && this.producers.get(task) === producer && !this.host.isStopped();
        try {
          await tryTask(() => producer.commitBatch(records, offsets), again, (e, n) =>
            this.host.log(`task ${task}: start not recorded (${(e as Error).message}); trying again (${n}/${TASK_ATTEMPTS - 1})`),
          );
        } catch (e) {
          if (this.producers.get(task) !== producer || this.host.isStopped() || isProducerFenced(e)) {
            this.host.log(`task ${task}: start not recorded, it moved to another copy: ${(e as Error).message}`);
            if (this.producers.get(task) === producer) this.lose(task);
            return;
          }
          throw e;
        }
      }),
    );
  }

  /** The standby tasks of this assignment (none when the option is 0). */
  private async assignStandbys(a: GroupAssignment, owned: ReadonlySet<number>): Promise<void> {
    if (this.host.standbyReplicas === 0 || this.host.changelogs.length === 0) return;
    const standby = await this.host.standbys.assign(a.memberId, owned);
    if (standby.length > 0) this.host.log(`generation ${a.generation}: standby for tasks ${JSON.stringify(standby)}`);
  }

  /**
   * The group member crashed (or was disconnected): it is no member, so other copies may be
   * given its tasks at any moment. Every task is lost as in a rebalance (producers closed, state
   * dropped, no more batches read them; a batch generated before is not committed and its
   * PostgreSQL writes are fenced once a new owner wrote) until the new member's assignment.
   */
  private loseAll(reason: string | undefined): void {
    if (this.host.isStopped()) return;
    const lost = [...this.owned].sort((x, y) => x - y);
    for (const t of lost) this.lose(t);
    for (const cl of this.host.changelogs) cl.keepOnly(new Set());
    if (reason !== undefined || lost.length > 0) this.host.log(`${reason ?? 'group member lost'}; lost tasks ${JSON.stringify(lost)} until the next assignment`);
  }

  /**
   * A batch of `time` found `task` fenced (its new owner wrote it): the task is lost now — unless
   * that batch was generated before this copy last lost the task. Then the fence only refused a
   * batch of the old ownership, and the task may be in the middle of being gained again (gain
   * waits for such batches): losing it there would leave it read and committed, not owned.
   * True when the task was lost.
   */
  fenced(task: number, time: number): boolean {
    const lostAt = this.lostAt.get(task);
    if (lostAt !== undefined && time <= lostAt) return false;
    this.lose(task);
    return true;
  }

  /**
   * `refusal`'s generation is newer than this copy's. Normally the rebalance that made it is on
   * its way to this copy (a zombie: its heartbeat is refused). But when the group coordinator
   * accepts a heartbeat of this copy's generation, that generation is the group's current one
   * and no rebalance is coming: the newer generation was an earlier group of the same name —
   * deleted or expired while every copy was down, or on another cluster. Waiting would idle
   * forever (the task dropped, its records never written): the copy fails, saying what to do.
   */
  checkGroupReset(task: number, refusal: FenceRefusal): void {
    const { applicationId: group } = this.host;
    const generation = this.generationNow;
    const member = this.memberNow;
    const key = `${member}@${generation}`;
    if (member === undefined || this.resetChecked === key || this.host.isStopped()) return;
    this.resetChecked = key;
    this.host.log(`task ${task}: ${refusal.partition} fenced by generation ${refusal.by}, newer than this copy's ${generation}: asking group ${group} whether a rebalance is coming`);
    this.host
      .client()
      .isCurrentGeneration(group, generation, member)
      .then(
        (answer) => {
          if (this.host.isStopped()) return;
          if (answer !== true) {
            this.host.log(`group ${group}: generation ${generation} is not current (${answer}): the rebalance under way decides who owns task ${task}`);
            return;
          }
          this.host.fail(
            new Error(
              `${refusal.output} refused task ${task}'s write: ${refusal.partition} was written by generation ${refusal.by} of group ${group}, ` +
                `this copy's generation is ${generation} — and Kafka says ${generation} is the group's current generation (no rebalance is coming), ` +
                `so generation ${refusal.by} was an earlier group of the same name: the consumer group was deleted or expired ` +
                `(Kafka deletes a group without members after offsets.retention.minutes, 7 days by default) or the job moved to another Kafka cluster. ` +
                `No rebalance will give the task to another copy, so the copy stops rather than idle. If the job's internal topics ` +
                `(${this.host.positions}, its changelogs) are intact and no copy runs in the old group: stop every copy, ${refusal.forget}, ` +
                `and start them again. Otherwise start the job over (docs/scale-out.md, Operations)`,
            ),
          );
        },
        (e: unknown) => {
          if (this.resetChecked === key) this.resetChecked = undefined;
          if (!this.host.isStopped()) this.host.log(`group ${group}: not known whether generation ${generation} is current (${(e as Error).message}); task ${task} waits for the next rebalance`);
        },
      );
  }

  /** Whether this copy lost `task` after batch `time` was generated (that batch may still hold its keys, computed while it was owned). */
  lostSince(task: number, time: number): boolean {
    return (this.lostAt.get(task) ?? -Infinity) >= time;
  }

  /** Task `task` lost: no more batches read it, its producer closed, its keys dropped from every state. */
  lose(task: number): void {
    this.lostAt.set(task, this.host.completions.latestGenerated);
    for (const k of [...this.ready.keys()]) if (Number(k.slice(k.lastIndexOf(':') + 1)) === task) this.ready.delete(k);
    const producer = this.producers.get(task);
    this.producers.delete(task);
    void producer?.close();
    if (this.owned.delete(task)) for (const cl of this.host.changelogs) cl.drop(task);
  }
}
