/**
 * Two stream outputs of a job writing under one claim (sinkId) — one sink's writer() on two
 * streams, or two sinks with the same default sinkId — lost the second output's rows of every
 * batch, silently (the batch was claimed, so skipped). They are refused now, loudly, before
 * anything is written; a job built again in the same process (a restart) still writes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { foreachBatchTo, ManualClock, PostgresSink, PostgresTables, StreamingContext } from '../../src/index.js';
import { pgQuery, sinkConnection, useScratchSchema } from '../helpers/postgres.js';

const scratch = useScratchSchema('dstreams_shared_claim');
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

type Row = { src: string; n: number };

async function sinkFor(table: string, sinkId?: string): Promise<PostgresSink<Row>> {
  const sink = new PostgresSink<Row>({
    ...(await sinkConnection()),
    table: scratch().table(table),
    columns: ['src', 'n'],
    createTable: { src: 'text', n: 'int' },
    retry: false,
    ...(sinkId === undefined ? {} : { sinkId }),
  });
  closers.push(() => sink.close());
  return sink;
}

/** clicks and errors, two outputs of one job, through `first` and `second`; the job's failure. */
async function twoOutputs(first: PostgresSink<Row>, second: PostgresSink<Row>): Promise<unknown> {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  closers.push(() => ssc.stop());
  ssc.queueStream([[1, 2], [3]]).foreachRDD(first.writer((n: number) => ({ src: 'clicks', n })));
  ssc.queueStream([[10], [20, 30]]).foreachRDD(second.writer((n: number) => ({ src: 'errors', n })));
  await ssc.start();
  await clock.advance(2000).catch(() => undefined);
  await ssc.stop();
  return ssc.awaitTermination().then(() => undefined, (e: unknown) => e);
}

/** Rows in `table`; 0 when it was never created (nothing got as far as the sink's first write). */
async function count(table: string): Promise<number> {
  if ((await pgQuery<{ t: string | null }>('SELECT to_regclass($1) AS t', [scratch().qualified(table)])).rows[0]!.t === null) return 0;
  return (await pgQuery<{ n: number }>(`SELECT count(*)::int AS n FROM ${scratch().qualified(table)}`)).rows[0]!.n;
}
const REFUSED = /more than one stream output writes with sinkId ".*" \(sink\.writer\(\) or foreachBatchTo/;

describe('one claim, one output', () => {
  it('one sink instance written by two outputs: the job fails at the first batch, nothing is claimed', async () => {
    const table = scratch().unique('one_sink');
    const sink = await sinkFor(table);
    const failure = await twoOutputs(sink, sink);
    expect(String(failure)).toMatch(REFUSED);
    expect(String(failure)).toMatch(/Give each output its own PostgresSink with a sinkId of its own/);
    expect(await sink.lastCommittedBatchTime()).toBeUndefined();
    expect(await count(table)).toBe(0);
  });

  it('two sinks with the default sinkId (the table name): refused the same', async () => {
    const table = scratch().unique('default_ids');
    const [a, b] = [await sinkFor(table), await sinkFor(table)];
    expect(a.sinkId).toBe(b.sinkId);
    expect(String(await twoOutputs(a, b))).toMatch(REFUSED);
    expect(await count(table)).toBe(0);
  });

  it('a sinkId for each output: both write every batch', async () => {
    const table = scratch().unique('own_ids');
    const failure = await twoOutputs(await sinkFor(table, `${table}/clicks`), await sinkFor(table, `${table}/errors`));
    expect(failure).toBeUndefined();
    expect((await pgQuery(`SELECT src, count(*)::int AS n FROM ${scratch().qualified(table)} GROUP BY src ORDER BY src`)).rows).toEqual([
      { src: 'clicks', n: 3 },
      { src: 'errors', n: 3 },
    ]);
  });

  it('foreachBatchTo and a writer on the owner’s sinkId are refused too', async () => {
    const table = scratch().unique('tables');
    const owner = await sinkFor(table);
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    closers.push(() => ssc.stop());
    const lines = ssc.queueStream([[1]]);
    foreachBatchTo(new PostgresTables({ owner }), { owner: lines.map((n: number): Row => ({ src: 'tables', n })) });
    lines.foreachRDD(owner.writer((n: number) => ({ src: 'writer', n })));
    await ssc.start();
    await clock.advance(1000).catch(() => undefined);
    await expect(ssc.awaitTermination()).rejects.toThrow(REFUSED);
    expect(await count(table)).toBe(0);
  });

  it('a job built again in the same process (a restart) writes: the newest output is the claim’s', async () => {
    const table = scratch().unique('restart');
    const sink = await sinkFor(table);
    for (const [start, values] of [[0, [[1], [2]]], [2000, [[3]]]] as const) {
      const clock = new ManualClock(start);
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      ssc.queueStream(values.map((v) => [...v])).foreachRDD(sink.writer((n: number) => ({ src: 'job', n })));
      await ssc.start();
      await clock.advance(values.length * 1000);
      await ssc.stop();
    }
    expect(await count(table)).toBe(3);
  });
});
