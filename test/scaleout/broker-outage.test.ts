// A scaled-out job rides out a broker outage (a broker of this file's own, stopped for ~12 s in
// the middle of a run and started again on the same port and data): both copies keep running —
// a task commit whose outcome is unknown closes the task and the copy rejoins the group, whose
// member keeps rejoining for up to retry.timeout.ms — and the final table is exact (nothing lost,
// no batch counted twice). The copies log the outage once and its end once. Real PostgreSQL.
import { describe, expect, it } from 'vitest';
import { createTopic, produceLines, uniqueTopic, usePrivateBroker } from '../helpers/kafka.js';
import { sinkConnection, useScratchSchema } from '../helpers/postgres.js';
import { BATCH_MS, lines, sleep, startCopy, tableCatchesUp, tasksOf, tempDir, type Copy } from './copies.js';

const scratch = useScratchSchema('dstreams_scaleout_outage');

const broker = usePrivateBroker();

describe('a scaled-out job and a broker outage', () => {
  it('two copies survive the broker stopped for ~12 s mid-run and started again: both keep running, the table is exact', { timeout: 420_000 }, async () => {
    const topic = uniqueTopic('scaleout-outage');
    await createTopic(topic, 6, broker.brokers);
    const app = `outage-${Date.now().toString(36)}`;
    const s = scratch();
    const table = s.unique('totals');
    const { connection } = await sinkConnection();
    const pg = JSON.stringify({ schema: s.schema, table, sinkId: 'outage', connection });
    const copies: Copy[] = [];
    let exited = '';
    for (const name of ['A', 'B']) {
      const dir = tempDir(`scaleout-outage-${name}-`);
      const x = startCopy(name, dir, [broker.brokers, topic, app, dir, 'update', pg, String(BATCH_MS)]);
      void x.exited.then((code) => (exited += `${name} exited (${code}) `));
      copies.push(x);
    }
    const [a, b] = copies as [Copy, Copy];
    const report = (): string =>
      copies
        .map((x) => `--- ${x.name}: tasks ${JSON.stringify(tasksOf(x))}\n${x.err().split('\n').filter((l) => l.startsWith('[dstreams') || l.includes('Error')).join('\n').slice(-4000)}`)
        .join('\n');
    // The table catching up, or an error as soon as a copy exits (it would never catch up then).
    const catchesUp = (what: string): Promise<void> =>
      Promise.race([
        tableCatchesUp(s.qualified(table), produced, what, report),
        Promise.race(copies.map((x) => x.exited)).then(() => {
          throw new Error(`${what}: ${exited}\n${report()}`);
        }),
      ]);
    const produced: string[] = [];
    const feed = async (chunks: number, size: number, pauseMs: number): Promise<void> => {
      for (let c = 0; c < chunks; c++) {
        const ls = lines(produced.length, size);
        await produceLines(topic, ls, { partitions: 6, brokers: broker.brokers });
        produced.push(...ls);
        await sleep(pauseMs);
      }
    };
    for (const x of copies) await x.waitFor(() => x.out().includes('STARTED'), 'start', 90_000);
    await a.waitFor(() => tasksOf(a).length === 3 && tasksOf(b).length === 3, 'two copies with three tasks each', 60_000);
    await feed(6, 250, 100);
    await catchesUp('before the outage');

    // Input still flowing when the broker goes: batches read, commit their task transactions and
    // read the repartition records back while it stops.
    await feed(8, 400, 0);
    // What the copies log from here on (a fresh broker's first moments may have had them rejoin already).
    const logFrom = copies.map((x) => x.err().length);
    await broker.stop();
    const downAt = Date.now();
    await sleep(12_000);
    expect(exited).toBe('');
    await broker.start();
    const upAt = Date.now();
    console.log(`[scaleout outage] broker down ${Math.round((upAt - downAt) / 100) / 10} s (stop to answering again)`);
    await feed(10, 250, 100);
    await catchesUp('after the outage');
    console.log(`[scaleout outage] the table exact ${Math.round((Date.now() - upAt) / 100) / 10} s after the broker answered again`);

    // Both copies still run, own tasks and process batches after the outage.
    expect(exited).toBe('');
    for (const x of copies) {
      await x.waitFor(() => tasksOf(x).length > 0 && x.batches().some((y) => y.at > upAt && y.n > 0), 'tasks and a batch after the outage', 60_000);
    }
    const since = copies.map((x, i) => x.err().slice(logFrom[i]));
    for (const log of since) {
      // Once when it starts and once when it ends, not per attempt (a new member every 0.5–5 s
      // would say it ten times and more); a copy back with its tasks before the broker had
      // elected every leader may meet it once more (outage-rejoin.test.ts pins "once" exactly).
      expect((log.match(/Kafka .* unreachable/g) ?? []).length, report()).toBeLessThanOrEqual(2);
      expect((log.match(/Kafka .* reachable again/g) ?? []).length, report()).toBeLessThanOrEqual(2);
    }
    // At least one copy noticed (its group member or a commit failed) and said when Kafka was back.
    expect(since.some((log) => /Kafka .* unreachable/.test(log) && /Kafka .* reachable again/.test(log)), report()).toBe(true);

    for (const x of copies) x.stop();
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  });
});
