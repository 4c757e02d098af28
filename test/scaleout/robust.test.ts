// Scale-out under trouble (issue 11): copies of the wordcount (wordcount-child.ts) whose
// consumer-group member crashes must rejoin by themselves, and a job's initial state
// (updateStateByKey's initialRDD, StateSpec.initialState) goes through the changelog, so the
// keys of a killed copy's tasks keep their initial totals. Every table is compared with an
// independent count plus the initial state: 0 lost, 0 duplicated. Real broker, real PostgreSQL.
import { describe, expect, it } from 'vitest';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { sinkConnection, useScratchSchema } from '../helpers/postgres.js';
import { BATCH_MS, count, diff, lines, sleep, startCopy, tableCounts, tasksOf, tempDir, VOCABULARY, type Copy } from './copies.js';

const scratch = useScratchSchema('dstreams_scaleout_robust');

/** Initial totals: every word of the input (1000 + i) and 30 words the input never has. */
const INITIAL: Array<[string, number]> = [...VOCABULARY.map((w, i): [string, number] => [w, 1000 + i]), ...Array.from({ length: 30 }, (_, i): [string, number] => [`init${i}`, 7 + i])];

async function job(mode: 'update' | 'mapWithState', name: string) {
  const topic = uniqueTopic(`scaleout-${name}`);
  await createTopic(topic, 6);
  const app = `${name}-${Date.now().toString(36)}`;
  const s = scratch();
  const table = s.unique('totals');
  const { connection } = await sinkConnection();
  const pg = JSON.stringify({ schema: s.schema, table, sinkId: name, connection });
  const copies: Copy[] = [];
  const copy = (n: string): Copy => {
    const dir = tempDir(`scaleout-${n}-`);
    const x = startCopy(n, dir, [kafkaBrokers(), topic, app, dir, mode, pg, String(BATCH_MS), '0', JSON.stringify(INITIAL)]);
    copies.push(x);
    return x;
  };
  const produced: string[] = [];
  const feed = async (chunks: number, size: number, pauseMs: number): Promise<void> => {
    for (let c = 0; c < chunks; c++) {
      const ls = lines(produced.length, size);
      await produceLines(topic, ls, { partitions: 6 });
      produced.push(...ls);
      await sleep(pauseMs);
    }
  };
  /** The table the job must end with: each word's count plus its initial total (mapWithState outputs only words that came). */
  const expected = (): Map<string, number> => {
    const m = count(produced);
    for (const [w, n] of INITIAL) {
      if (m.has(w)) m.set(w, m.get(w)! + n);
      else if (mode === 'update') m.set(w, n);
    }
    return m;
  };
  const report = (): string =>
    copies.map((x) => `--- ${x.name}: tasks ${JSON.stringify(tasksOf(x))}\n${x.err().split('\n').filter((l) => l.startsWith('[dstreams') || l.includes('Error')).join('\n').slice(-3000)}`).join('\n');
  const waitForTable = async (what: string): Promise<{ lost: number; duplicated: number; wrongKeys: number }> => {
    const t0 = Date.now();
    for (;;) {
      const d = diff(expected(), await tableCounts(s.qualified(table)).catch(() => new Map<string, number>()));
      if (d.lost === 0 && d.duplicated === 0 && d.wrongKeys === 0) return d;
      if (d.duplicated > 0 || d.wrongKeys > 0) throw new Error(`${what}: ${JSON.stringify(d)} (counted twice, or a wrong key)\n${report()}`);
      if (Date.now() - t0 > 90_000) throw new Error(`${what}: the table never caught up: ${JSON.stringify(d)}\n${report()}`);
      await sleep(250);
    }
  };
  return { copy, feed, waitForTable, produced };
}

describe('a scaled-out job under trouble', () => {
  it(
    'a copy whose group member crashes rejoins: it owns nothing meanwhile, gets partitions again, and with a copy killed too the totals (initial state included) stay exact',
    { timeout: 300_000 },
    async () => {
      const { copy, feed, waitForTable } = await job('update', 'crash');
      const a = copy('A');
      const b = copy('B');
      for (const x of [a, b]) await x.waitFor(() => x.out().includes('STARTED'), 'start', 90_000);
      await a.waitFor(() => tasksOf(a).length === 3 && tasksOf(b).length === 3, 'two copies with three tasks each', 60_000);

      const feeding = feed(30, 250, 150);
      await sleep(2000);
      b.send('crash');
      await b.waitFor(() => /group member crashed: .*; lost tasks \[\d,\d,\d\] until the next assignment/.test(b.err()), 'the crash logged', 30_000);
      const crashedAt = Date.now();
      // B's new member joins; the group gives it tasks again, and it processes them.
      await b.waitFor(() => b.assignments().some((x) => x.at >= crashedAt && x.partitions.length > 0), 'B assigned again', 60_000);
      const backAt = b.assignments().find((x) => x.at >= crashedAt && x.partitions.length > 0)!.at;
      await b.waitFor(() => b.batches().some((x) => x.at > backAt && x.n > 0), 'a batch of B after it rejoined', 60_000);
      console.log(`[scaleout crash] B's member crashed; assigned again ${backAt - crashedAt} ms later (tasks ${JSON.stringify(tasksOf(b))})`);
      await feeding;
      await waitForTable('after the crash and rejoin');

      // A is SIGKILLed: B takes its tasks, restoring their state — initial state included — from the changelogs.
      await a.kill();
      await b.waitFor(() => tasksOf(b).length === 6, 'B with all six tasks', 60_000);
      await feed(4, 250, 100);
      const final = await waitForTable('after A was killed');
      expect(final).toEqual({ lost: 0, duplicated: 0, wrongKeys: 0 });
      expect(b.err()).toMatch(/restored \d+ state keys of tasks .*from the initial state/);
      b.stop();
      expect(await b.exited).toBe(0);
    },
  );

  it(
    'a copy paused past its session timeout joins again as a new member: its tasks are gained anew (producer, positions, state), the totals stay exact',
    { timeout: 300_000 },
    async () => {
      const { copy, feed, waitForTable } = await job('update', 'paused');
      const a = copy('A');
      const b = copy('B');
      for (const x of [a, b]) await x.waitFor(() => x.out().includes('STARTED'), 'start', 90_000);
      await a.waitFor(() => tasksOf(a).length === 3 && tasksOf(b).length === 3, 'two copies with three tasks each', 60_000);
      const feeding = feed(12, 250, 150);
      await sleep(1500);
      // A stops mid-stream (a long GC, a VM stall): its session expires, B takes every task and
      // commits them; A, resumed, still has its tasks' old state and batches of the old generation.
      // A's member id before the pause (its latest "generation N: member M owns tasks" line).
      const membersOf = (text: string): string[] => [...text.matchAll(/generation \d+: member (\S+) owns tasks/g)].map((m) => m[1]!);
      const memberBefore = membersOf(a.err()).at(-1);
      expect(memberBefore, a.err()).toBeDefined();
      a.signal('SIGSTOP');
      const pausedAt = Date.now();
      const everyTask = (x: { at: number; partitions: Array<{ partition: number }> }): boolean =>
        x.at > pausedAt && new Set(x.partitions.map((p) => p.partition)).size === 6;
      await b.waitFor(() => b.assignments().some(everyTask), 'B with all six tasks', 60_000);
      // Resumed at once (A may hold the sink's row locks, which B's writes wait for).
      a.signal('SIGCONT');
      await feeding;
      // A new member id: logged as "expired, joined again as" when A still held tasks, or only as
      // the new member's generation when a fenced write had already taken them from it.
      await a.waitFor(() => membersOf(a.err()).some((m) => m !== memberBefore), 'A joined again as a new member', 60_000);
      await a.waitFor(() => tasksOf(a).length > 0 && tasksOf(a).length + tasksOf(b).length === 6, 'the tasks shared again', 60_000);
      await feed(6, 250, 150);
      expect(await waitForTable('after A was paused and resumed')).toEqual({ lost: 0, duplicated: 0, wrongKeys: 0 });
      for (const x of [a, b]) x.stop();
      expect(await a.exited).toBe(0);
      expect(await b.exited).toBe(0);
    },
  );

  it('mapWithState with an initial state: a copy is killed, the keys of its tasks keep their initial totals', { timeout: 300_000 }, async () => {
    const { copy, feed, waitForTable } = await job('mapWithState', 'initial');
    const a = copy('A');
    const b = copy('B');
    const c = copy('C');
    for (const x of [a, b, c]) await x.waitFor(() => x.out().includes('STARTED'), 'start', 90_000);
    await a.waitFor(() => [a, b, c].every((x) => tasksOf(x).length === 2), 'three copies with two tasks each', 60_000);
    const feeding = feed(24, 250, 150);
    await sleep(2000);
    const cTasks = tasksOf(c);
    await c.kill();
    await a.waitFor(() => cTasks.every((t) => tasksOf(a).includes(t) || tasksOf(b).includes(t)), "the killed copy's tasks on the others", 60_000);
    await feeding;
    expect(await waitForTable('after C was killed')).toEqual({ lost: 0, duplicated: 0, wrongKeys: 0 });
    for (const x of [a, b]) x.stop();
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  });
});
