// Standby replicas (context option standbyReplicas: 1): three copies of the scaled-out wordcount
// (wordcount-child.ts), each following the changelogs of tasks it does not own, on a copy other
// than their owner. One copy is SIGKILLed while input flows: its tasks go to the copies that held
// them warm, which read only the changelog's tail — and the totals stay exact (the table equals
// an independent count: 0 lost, 0 duplicated). Once with updateStateByKey, once with the windows
// without an inverse function (their batches' changelog). Real broker, real PostgreSQL.
import { describe, expect, it } from 'vitest';
import { createTopic, kafkaBrokers, uniqueTopic } from '../helpers/kafka.js';
import { sinkConnection, useScratchSchema } from '../helpers/postgres.js';
import { BATCH_MS, count, countsReach, diff, feeder, SESSION_TIMEOUT_MS, sleep, startCopy, tableCatchesUp, tableCounts, tasksOf, tempDir, type Copy } from './copies.js';

const scratch = useScratchSchema('dstreams_standby');

/** The tasks a copy's log says it follows as a standby (its latest line). */
const standbysOf = (c: Copy): number[] => {
  const m = [...c.err().matchAll(/standby for tasks (\[[\d,]*\])/g)].at(-1);
  return m ? (JSON.parse(m[1]!) as number[]) : [];
};
/** The tasks a copy's log says it restored from a standby's copy. */
const warmRestored = (c: Copy): number[] => [...c.err().matchAll(/tasks (\[[\d,]*\]) from a standby's copy on/g)].flatMap((m) => JSON.parse(m[1]!) as number[]);

async function standbyScenario(mode: 'update' | 'window-batches'): Promise<void> {
  const topic = uniqueTopic(`standby-${mode}`);
  await createTopic(topic, 6);
  const app = `sb-${mode}-${Date.now().toString(36)}`;
  const s = scratch();
  const table = s.unique('totals');
  const { connection } = await sinkConnection();
  const pg = JSON.stringify({ schema: s.schema, table, sinkId: `sb-${mode}`, connection });
  const copies: Copy[] = [];
  const copy = (name: string): Copy => {
    const dir = tempDir(`standby-${name}-`);
    const x = startCopy(name, dir, [kafkaBrokers(), topic, app, dir, mode, pg, String(BATCH_MS), '1']);
    copies.push(x);
    return x;
  };
  const report = (): string => copies.map((x) => `--- ${x.name}: tasks ${JSON.stringify(tasksOf(x))}\n${x.err().slice(-2500)}`).join('\n');
  const produced: string[] = [];
  const feed = feeder(topic, produced);
  const qualified = s.qualified(table);

  const [a, b, c] = [copy('A'), copy('B'), copy('C')];
  await a.waitFor(() => [a, b, c].every((x) => tasksOf(x).length === 2), 'three copies with two tasks each', 90_000);
  // Every task has one standby, never on its owner.
  await a.waitFor(() => [a, b, c].reduce((n, x) => n + standbysOf(x).length, 0) === 6, 'six standbys', 60_000);
  for (const x of [a, b, c]) for (const t of standbysOf(x)) expect(tasksOf(x)).not.toContain(t);

  const feeding = feed(30, 250, 150);
  await sleep(3000);
  const bTasks = tasksOf(b);
  await b.kill();
  await a.waitFor(() => bTasks.every((t) => tasksOf(a).includes(t) || tasksOf(c).includes(t)), "the killed copy's tasks on the others", SESSION_TIMEOUT_MS + 30_000);
  await feeding;
  await tableCatchesUp(qualified, produced, `${mode} with standbys: after the kill`, report);
  if (mode === 'window-batches') await countsReach([a, c], produced.length, 'after the kill');
  // The killed copy's tasks went to the copies that followed them, and were restored from their standby copies.
  expect([...warmRestored(a), ...warmRestored(c)].sort(), report()).toEqual([...bTasks].sort());
  const final = diff(count(produced), await tableCounts(qualified));
  console.log(`[standby ${mode}] ${produced.length} lines; tasks ${JSON.stringify(bTasks)} restored from standbys: ${JSON.stringify(final)}`);
  expect(final).toEqual({ lost: 0, duplicated: 0, wrongKeys: 0 });
  for (const x of [a, c]) x.stop();
  for (const x of [a, c]) expect(await x.exited).toBe(0);
}

describe('standby replicas (standbyReplicas: 1)', () => {
  it('a killed copy’s tasks are restored from the standbys of the others, with exact totals (updateStateByKey)', { timeout: 240_000 }, async () => {
    await standbyScenario('update');
  });

  it('the same for windows without an inverse function (their batches’ changelog)', { timeout: 240_000 }, async () => {
    await standbyScenario('window-batches');
  });

  it('needs an applicationId', async () => {
    const { StreamingContext } = await import('../../src/index.js');
    expect(() => new StreamingContext({ batchDuration: 500, standbyReplicas: 1 })).toThrow(/standbyReplicas needs an applicationId/);
    expect(() => new StreamingContext({ batchDuration: 500, applicationId: 'x', standbyReplicas: -1 })).toThrow(/standbyReplicas must be a non-negative integer/);
  });
});
