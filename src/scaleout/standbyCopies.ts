/**
 * A copy's standby replicas (context option `standbyReplicas`, Kafka Streams'
 * `num.standby.replicas`): the tasks the group's assignment gives it to follow without owning
 * them (kafka/standbys.ts), and for each, a copy of every changelog partition of the task folded
 * to one value per record key (compacted.ts) — never processed, never output, never written.
 *
 * When things happen:
 *  - a rebalance: first `pause()` (waits for a catch-up under way; none starts until `resume`);
 *    a task gained that this copy followed hands its copies to the restore (`take`), which reads
 *    only the records after them; then `assign` reads this copy's standbys of the new generation
 *    (DescribeGroups) and drops the copies of tasks no longer followed;
 *  - after every batch and rebalance (`follow`): the copies are brought up to their changelogs'
 *    ends (read committed), one catch-up at a time. A failed catch-up is logged and retried then.
 */
import type { Admin } from 'kafkajs';
import type { KafkaClient } from '../kafka/client.js';
import { standbyTasksOf } from '../kafka/standbys.js';
import { readCompacted, type CompactedPartition } from './compacted.js';

export class StandbyCopies {
  private tasks = new Set<number>();
  /** Changelog topic → task → its copy. */
  private readonly copies = new Map<string, Map<number, CompactedPartition>>();
  private following: Promise<void> = Promise.resolve();
  private paused = false;
  private admin: Admin | undefined;

  constructor(
    private readonly client: () => KafkaClient,
    private readonly groupId: string,
    private readonly log: (message: string) => void,
  ) {}

  /** The tasks followed now (announced when the copy joins, so a freed task goes where it is warm). */
  get followed(): number[] {
    return [...this.tasks];
  }

  has(task: number): boolean {
    return this.tasks.has(task);
  }

  /** Stops following until `resume`, once the catch-up under way (if any) is done. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.following;
  }

  resume(): void {
    this.paused = false;
  }

  /** The copies of `tasks` in changelog `topic`, for a restore (which extends them: they are given up). */
  take(topic: string, tasks: readonly number[]): Map<number, CompactedPartition> {
    const copies = this.copies.get(topic);
    return new Map(tasks.flatMap((t) => (copies?.has(t) ? [[t, copies.get(t)!] as const] : [])));
  }

  /** This copy's standbys in the generation `memberId` joined, less the tasks it owns; the copies of the others dropped. */
  async assign(memberId: string, owned: ReadonlySet<number>): Promise<number[]> {
    if (!this.admin) {
      this.admin = this.client().kafka.admin();
      await this.admin.connect();
    }
    const standby = (await standbyTasksOf(this.admin, this.groupId, memberId).catch(() => [] as number[])).filter((t) => !owned.has(t));
    this.tasks = new Set(standby);
    for (const copies of this.copies.values()) for (const t of [...copies.keys()]) if (!this.tasks.has(t)) copies.delete(t);
    return standby.sort((x, y) => x - y);
  }

  /** Brings the copies of every followed task up to the end of `topics` (a catch-up after the one under way). */
  follow(topics: readonly string[]): void {
    if (this.tasks.size === 0 || this.paused) return;
    this.following = this.following
      .then(async () => {
        if (this.paused) return;
        const tasks = [...this.tasks];
        await Promise.all(
          topics.map(async (topic) => {
            const copies = this.copies.get(topic) ?? new Map<number, CompactedPartition>();
            this.copies.set(topic, copies);
            for (const [t, p] of await readCompacted(this.client(), topic, tasks, copies)) if (this.tasks.has(t)) copies.set(t, p);
          }),
        );
      })
      .catch((e: unknown) => this.log(`standby catch-up failed (retried after the next batch): ${(e as Error).message}`));
  }

  async stop(): Promise<void> {
    this.paused = true;
    await this.following;
    await this.admin?.disconnect().catch(() => undefined);
  }
}
