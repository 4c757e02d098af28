/**
 * Standby replicas (Kafka Streams' `num.standby.replicas`) of a scaled-out job: besides its
 * tasks, a copy follows the changelogs of a few tasks it does not own, so that when one of them
 * moves to it, only the tail of the changelog is left to read.
 *
 * When things happen: the group leader's assigner (group.ts) spreads the active tasks, then
 * gives each task `replicas` standbys on other members (`assignStandbys`) and sends each member
 * its standbys in the assignment's user data; a member reads its own back with
 * `standbyTasksOf` (DescribeGroups: kafkajs does not hand the user data of a SyncGroup answer on).
 * Each member announces its active and standby tasks in its join metadata, so the next
 * assignment gives a freed task to a member that holds it warm (and keeps standbys where they are).
 */
import type { Admin } from 'kafkajs';
import { AssignerProtocol } from 'kafkajs';

/** What a member announces when it joins: the tasks it owns and those it holds warm. */
export interface MemberTasks {
  active: number[];
  standby: number[];
}

/** A member's join user data: `{ active, standby }`, or (older copies) the bare array of active tasks. */
export function decodeMemberTasks(userData: Buffer | null | undefined): MemberTasks {
  try {
    const v: unknown = userData && userData.length > 0 ? JSON.parse(userData.toString('utf8')) : [];
    const ints = (x: unknown): number[] => (Array.isArray(x) ? x.filter((t): t is number => Number.isInteger(t)) : []);
    if (Array.isArray(v)) return { active: ints(v), standby: [] };
    const o = v as Partial<Record<keyof MemberTasks, unknown>>;
    return { active: ints(o.active), standby: ints(o.standby) };
  } catch {
    return { active: [], standby: [] }; // a member of another version: nothing known
  }
}

/**
 * `replicas` standbys per task, each on a member other than the task's owner (`active`) and other
 * than its other standbys: first members that hold it warm already (`warm`), then round the ring
 * of members from the owner, the owner's i-th task starting i places further (so one owner's
 * tasks are followed by different members, and a dead member's tasks spread). Fewer when there
 * are not enough members.
 */
export function assignStandbys(
  active: ReadonlyMap<string, readonly number[]>,
  replicas: number,
  warm: ReadonlyMap<string, readonly number[]> = new Map(),
): Map<string, number[]> {
  const members = [...active.keys()].sort();
  const out = new Map<string, number[]>(members.map((m) => [m, []]));
  const n = members.length;
  if (replicas <= 0 || n < 2) return out;
  for (const [owner, tasks] of active) {
    const o = members.indexOf(owner);
    [...tasks].sort((a, b) => a - b).forEach((t, i) => {
      const ring = Array.from({ length: n - 1 }, (_, j) => members[(o + 1 + ((i + j) % (n - 1))) % n]!);
      const chosen = [...ring.filter((m) => warm.get(m)?.includes(t)), ...ring].filter((m, k, l) => l.indexOf(m) === k).slice(0, replicas);
      for (const m of chosen) out.get(m)!.push(t);
    });
  }
  for (const l of out.values()) l.sort((a, b) => a - b);
  return out;
}

/** The standby tasks the current assignment gives `memberId` ([] while the group is rebalancing). */
export async function standbyTasksOf(admin: Admin, groupId: string, memberId: string): Promise<number[]> {
  const { groups } = await admin.describeGroups([groupId]);
  const me = groups[0]?.members.find((m) => m.memberId === memberId);
  if (!me || me.memberAssignment.length === 0) return [];
  const userData = AssignerProtocol.MemberAssignment.decode(me.memberAssignment)?.userData;
  return decodeMemberTasks(userData).standby;
}
