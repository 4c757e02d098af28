/**
 * Membership of a scaled-out job's copy in its consumer group (the applicationId), through
 * kafkajs's public consumer API: Kafka's group protocol decides which copy owns which
 * partitions; this process never consumes through that consumer (every topic stays paused —
 * the direct streams read exact ranges with KafkaClient). Kafka Streams' idea of a task: the
 * partitions numbered p of every topic of the group (inputs, repartition topics) form task p
 * and go to one copy together, so the state of partition p, its changelog partition p and the
 * records that feed it are in one place (`taskAssigner`). Each member announces the tasks it owns
 * and those it follows as a standby in its join metadata; with standby replicas the assigner also
 * gives each task its standbys, in each member's assignment user data (standbys.ts).
 *
 * When things happen:
 *  - start(): the consumer joins; every (re)join ends with kafkajs's GROUP_JOIN (this copy's
 *    partitions); the next successful heartbeat says the generation they belong to, and only
 *    then is the assignment reported (`onAssigned`) — the heartbeat interval is capped at
 *    500 ms so that costs little.
 *  - a copy starts, leaves (stop: LeaveGroup) or goes silent for `session.timeout.ms` (SIGKILL):
 *    Kafka rebalances, every live copy re-joins and is told its new partitions.
 *  - the consumer crashes (kafkajs's CRASH, e.g. GroupCoordinatorNotFound under load) or is
 *    disconnected without stop(), or the copy asks to leave and join again (`rejoin`: a task
 *    commit whose outcome is unknown): it is no member any more, so the copy owns nothing
 *    (`onLost`, at once) until a new consumer of the same group — created after a short backoff
 *    — joins and is assigned (`onAssigned`). kafkajs never restarts a consumer itself here
 *    (`restartOnFailure` → false): one path for every crash.
 *  - how long it keeps trying: while the crashes are Kafka being unreachable (outage.ts: a broker
 *    down or restarting, a coordinator loading), for `retryTimeoutMs` (retry.timeout.ms) from the
 *    first of them — logged once when it starts and once when the copy has its tasks again
 *    (`recovered`); past that, `onError` naming the brokers and how long it tried. Any other
 *    crash (authorization, an unknown topic…) counts against MAX_CRASHES: at the next one in a
 *    row (no assignment between them) the copy gives up with the last cause.
 */
import { AssignerProtocol, type Consumer, type Kafka, type PartitionAssigner } from 'kafkajs';
import { isKafkaUnreachable, seconds } from './outage.js';
import { KafkaStreamError } from './retry.js';
import { assignStandbys, decodeMemberTasks } from './standbys.js';

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

/** What a rebalance gave this copy. */
export interface GroupAssignment {
  /** Kafka's generation of the group: it grows with every rebalance. */
  generation: number;
  memberId: string;
  /** Every topic-partition this copy owns now, sorted by topic then partition. */
  partitions: TopicPartitionRef[];
}

export interface GroupMemberOptions {
  groupId: string;
  topics: readonly string[];
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Standbys per task (standbys.ts); 0: none. */
  standbyReplicas?: number;
  /** The tasks this member holds warm now (announced when it joins). */
  standbyTasks?: () => readonly number[];
  /** How long new members keep joining while Kafka is unreachable (`retry.timeout.ms`). */
  retryTimeoutMs: number;
  /** The brokers, for the log and the error. */
  brokers: readonly string[];
  onAssigned(assignment: GroupAssignment): void;
  /** The member crashed or was disconnected: this copy owns nothing until the next `onAssigned` (`reason` undefined: said already, during an outage). */
  onLost(reason: string | undefined): void;
  onError(error: unknown): void;
  log(message: string): void;
}

/** Crashes in a row (no assignment between them) not caused by an outage that a new member follows; the next one fails the copy. */
export const MAX_CRASHES = 5;
/** The wait before the n-th new member joins: 500 ms, doubling, at most 5 s (a broker back is seen within 5 s). */
const rejoinDelayMs = (n: number): number => Math.min(500 * 2 ** (n - 1), 5000);

const ASSIGNER_NAME = 'DstreamsTaskAssigner';

/**
 * Spreads tasks (partition numbers) over members: as even as possible (counts differ by at most
 * one), and sticky — a member keeps the tasks it had (`previous`) as far as its share allows, so
 * a rebalance moves only what it must (less state to restore).
 */
export function assignTasks(
  memberIds: readonly string[],
  tasks: readonly number[],
  previous: ReadonlyMap<string, readonly number[]> = new Map(),
  /** Tasks each member holds a standby copy of: a freed task goes to one of them when it can. */
  warm: ReadonlyMap<string, readonly number[]> = new Map(),
): Map<string, number[]> {
  const members = [...memberIds].sort();
  const out = new Map<string, number[]>(members.map((m) => [m, []]));
  if (members.length === 0) return out;
  const all = [...new Set(tasks)].sort((a, b) => a - b);
  const base = Math.floor(all.length / members.length);
  let extra = all.length % members.length;
  // Members that had more tasks get the larger shares first (they keep more).
  const byPrevious = [...members].sort((a, b) => (previous.get(b)?.length ?? 0) - (previous.get(a)?.length ?? 0) || a.localeCompare(b));
  const cap = new Map<string, number>();
  for (const m of byPrevious) {
    cap.set(m, base + (extra > 0 ? 1 : 0));
    if (extra > 0) extra--;
  }
  const free = new Set(all);
  for (const m of byPrevious) {
    for (const t of previous.get(m) ?? []) {
      if (out.get(m)!.length >= cap.get(m)!) break;
      if (!free.has(t)) continue;
      free.delete(t);
      out.get(m)!.push(t);
    }
  }
  for (const t of free) {
    const open = members.filter((x) => out.get(x)!.length < cap.get(x)!);
    const m = (open.find((x) => warm.get(x)?.includes(t)) ?? open.sort((a, b) => out.get(a)!.length - out.get(b)!.length)[0])!;
    out.get(m)!.push(t);
  }
  for (const l of out.values()) l.sort((a, b) => a - b);
  return out;
}

/** The assigner every copy announces: task p = partition p of every topic of the group. */
function taskAssigner(ownedTasks: () => readonly number[], standbyTasks: () => readonly number[], standbyReplicas: number): PartitionAssigner {
  return ({ cluster }) => ({
    name: ASSIGNER_NAME,
    version: 1,
    async assign({ members, topics }) {
      const partitionsOf = new Map(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).map((m) => m.partitionId)]));
      const tasks = [...partitionsOf.values()].flat();
      const previous = new Map<string, number[]>();
      const warm = new Map<string, number[]>();
      for (const m of members) {
        const announced = decodeMemberTasks(AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData);
        previous.set(m.memberId, announced.active);
        warm.set(m.memberId, announced.standby);
      }
      const byMember = assignTasks(
        members.map((m) => m.memberId),
        tasks,
        previous,
        warm,
      );
      const standbys = assignStandbys(byMember, standbyReplicas, warm);
      return members.map(({ memberId }) => {
        const mine = new Set(byMember.get(memberId) ?? []);
        const assignment: Record<string, number[]> = {};
        for (const [topic, parts] of partitionsOf) assignment[topic] = parts.filter((p) => mine.has(p)).sort((a, b) => a - b);
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment,
            userData: standbyReplicas > 0 ? Buffer.from(JSON.stringify({ active: [...mine], standby: standbys.get(memberId) ?? [] })) : Buffer.alloc(0),
          }),
        };
      });
    },
    protocol({ topics }) {
      return {
        name: ASSIGNER_NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 1,
          topics,
          userData: Buffer.from(JSON.stringify({ active: ownedTasks(), standby: standbyTasks() })),
        }),
      };
    },
  });
}

/** One copy's membership in the group (see the top of this file). */
export class GroupMember {
  private consumer: Consumer | undefined;
  private owned: number[] = [];
  private joined: { memberId: string; partitions: TopicPartitionRef[] } | undefined;
  private stopped = false;
  /** Crashes since the last assignment, and those of them not caused by an outage. */
  private crashes = 0;
  private otherCrashes = 0;
  /** The generation the current member was assigned in (undefined: none yet). */
  private generation: number | undefined;
  /** When the first crash caused by Kafka being unreachable happened (until `recovered`). */
  private unreachableSince: number | undefined;
  private rejoinTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: GroupMemberOptions,
  ) {}

  /** Connects the first consumer and joins. */
  async start(): Promise<void> {
    await this.run(this.newConsumer());
  }

  private newConsumer(): Consumer {
    const options = this.options;
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      rebalanceTimeout: Math.max(options.sessionTimeoutMs, 10_000),
      heartbeatInterval: Math.min(options.heartbeatIntervalMs, 500),
      partitionAssigners: [taskAssigner(() => this.owned, () => options.standbyTasks?.() ?? [], options.standbyReplicas ?? 0)],
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: 1,
      // A crash is handled here (a new member), never by kafkajs restarting this one.
      retry: { retries: 10, restartOnFailure: () => Promise.resolve(false) },
    });
    this.consumer = consumer;
    const { GROUP_JOIN, HEARTBEAT, CRASH, DISCONNECT } = consumer.events;
    const current = (): boolean => this.consumer === consumer && !this.stopped;
    consumer.on(GROUP_JOIN, ({ payload }) => {
      if (!current()) return;
      const partitions: TopicPartitionRef[] = [];
      for (const [topic, parts] of Object.entries(payload.memberAssignment)) {
        for (const partition of parts) partitions.push({ topic, partition });
      }
      partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      this.joined = { memberId: payload.memberId, partitions };
      // Never consume through this consumer (the group exists now, so pausing works).
      consumer.pause(options.topics.map((topic) => ({ topic })));
      this.owned = [...new Set(partitions.map((p) => p.partition))].sort((a, b) => a - b);
    });
    consumer.on(HEARTBEAT, ({ payload }) => {
      const joined = this.joined;
      if (!current() || !joined || payload.memberId !== joined.memberId) return;
      this.joined = undefined;
      this.crashes = 0;
      this.otherCrashes = 0;
      this.generation = payload.groupGenerationId;
      options.onAssigned({ generation: payload.groupGenerationId, memberId: joined.memberId, partitions: joined.partitions });
    });
    let cause: unknown;
    consumer.on(CRASH, ({ payload }) => {
      cause = payload.error;
      this.lost(consumer, payload.error);
    });
    // A disconnect nobody asked for (kafkajs disconnects a crashing consumer first: its CRASH
    // follows within the same tick, so the cause is known by then).
    consumer.on(DISCONNECT, () => void setImmediate(() => this.lost(consumer, cause ?? new Error('the group member was disconnected'))));
    return consumer;
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.options.topics], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Never consumes: the topics are paused on joining; a batch fetched before that is ignored.
      eachBatch: async () => undefined,
    });
  }

  /**
   * The copy has its tasks again (the rebalance after the outage done): the outage, if any, is
   * over — logged once. Until then a member assigned and lost again is the same outage, with the
   * same budget.
   */
  recovered(generation: number): void {
    // Not a rebalance of a member lost since (its gain finishing after the outage began).
    if (this.unreachableSince === undefined || this.stopped || generation !== this.generation) return;
    const { brokers, groupId } = this.options;
    this.options.log(`Kafka ${brokers.join(',')} reachable again: the copy is back in group ${groupId}, with its tasks, after ${seconds(Date.now() - this.unreachableSince)}`);
    this.unreachableSince = undefined;
  }

  /**
   * The copy leaves the group and joins again with a new member (a new generation: what it
   * writes from then on takes its partitions over, scaleout/postgres.ts), as after a crash.
   * Nothing when no member is in the group now (one joins already).
   */
  rejoin(reason: string, cause: unknown): void {
    if (this.consumer) this.lost(this.consumer, cause, reason);
  }

  /** `consumer` is no member any more: the copy owns nothing; a new member joins after a backoff. */
  private lost(consumer: Consumer, error: unknown, reason?: string): void {
    if (this.consumer !== consumer || this.stopped) return;
    this.consumer = undefined;
    this.joined = undefined;
    this.generation = undefined;
    this.owned = []; // its state is dropped: nothing to be sticky about
    void consumer.disconnect().catch(() => undefined);
    const n = ++this.crashes;
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const what = reason ?? `group member crashed: ${why}`;
    const { brokers, retryTimeoutMs, groupId } = this.options;
    const now = Date.now();
    // During an outage the copy is told once, when it starts: no line per attempt.
    let quiet = false;
    if (isKafkaUnreachable(error)) {
      quiet = this.unreachableSince !== undefined;
      if (this.unreachableSince === undefined) {
        this.unreachableSince = now;
        this.options.log(
          `Kafka ${brokers.join(',')} unreachable (${why}): the copy owns no task until it is a member of group ${groupId} again; ` +
            `new members join for up to retry.timeout.ms = ${seconds(retryTimeoutMs)}`,
        );
      } else if (now - this.unreachableSince >= retryTimeoutMs) {
        this.options.onError(
          new KafkaStreamError(
            `Kafka ${brokers.join(',')} unreachable for ${seconds(now - this.unreachableSince)} (retry.timeout.ms ${retryTimeoutMs}): ` +
              `the copy could not rejoin group ${groupId} (${n} attempts); last: ${why}`,
            error,
          ),
        );
        return;
      }
    } else if (++this.otherCrashes > MAX_CRASHES) {
      this.options.onError(new Error(`the consumer group member crashed ${this.otherCrashes} times in a row without being assigned; last: ${why}`, { cause: error }));
      return;
    }
    this.options.onLost(quiet ? undefined : `${what}; a new member joins in ${rejoinDelayMs(n)} ms`);
    this.rejoinTimer = setTimeout(() => {
      if (this.stopped) return;
      const next = this.newConsumer();
      this.run(next).catch((e: unknown) => this.lost(next, e));
    }, rejoinDelayMs(n));
  }

  /** Leaves the group (the others rebalance at once) and disconnects. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.rejoinTimer);
    await this.consumer?.disconnect();
  }
}
