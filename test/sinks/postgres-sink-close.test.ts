/**
 * close() fails the writes in progress at once (it used to wait for them): a write waiting on a
 * lock another session holds, or retrying while PostgreSQL is unreachable. Its transaction rolls
 * back, the server's backend ends although the lock is still held, and the batch is written when
 * it runs again.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { PostgresSink } from '../../src/sinks/postgres/index.js';
import { pgQuery, resolvePg, sinkConnection, useScratchSchema } from '../helpers/postgres.js';
import { TcpProxy } from './tcp-proxy.js';

const scratch = useScratchSchema('dstreams_sink_close');
let proxy: TcpProxy;
const closers: Array<() => Promise<unknown>> = [];
beforeEach(async () => {
  const { host, port } = await resolvePg();
  proxy = await new TcpProxy(host, port).start();
});
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await proxy.close();
});

const elapsed = (t0: number) => Date.now() - t0;

async function sinkOn(table: string, sinkId: string, viaProxy: boolean): Promise<PostgresSink<[string]>> {
  const sink = new PostgresSink<[string]>({
    ...(await sinkConnection(viaProxy ? { host: '127.0.0.1', port: proxy.port } : {})),
    table: scratch().table(table),
    columns: ['k'],
    createTable: { k: 'text' },
    sinkId,
    applicationName: sinkId,
  });
  closers.push(() => sink.close());
  return sink;
}

describe('PostgresSink.close() and writes in progress', () => {
  it.each(['copy', 'insert'] as const)('fails a write blocked on a lock at once; its backend ends with the lock still held; nothing is committed (%s)', async (method) => {
    const table = scratch().unique(`locked_${method}`);
    const sinkId = scratch().unique('close');
    const sink = await sinkOn(table, sinkId, false);
    await sink.init();
    const locker = new pg.Client((await resolvePg()).config);
    await locker.connect();
    closers.push(() => locker.end());
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${scratch().qualified(table)} IN ACCESS EXCLUSIVE MODE`);
    const write = sink.writeBatch({ batchTime: 1000 }, [['a']]).then(
      () => 'resolved',
      (e: unknown) => String(e),
    );
    const backends = async () =>
      (await pgQuery<{ wait: string | null }>(`SELECT wait_event_type AS wait FROM pg_stat_activity WHERE application_name = $1`, [sinkId])).rows;
    for (let i = 0; i < 200 && !(await backends()).some((b) => b.wait === 'Lock'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(await backends()).toContainEqual({ wait: 'Lock' });
    const t0 = Date.now();
    await sink.close();
    expect(elapsed(t0)).toBeLessThan(3_000);
    expect(await write).toMatch(/closed while writing \(batch 1000\)/);
    // The server stopped waiting too (a CancelRequest): the batch's claim is not held while the lock is.
    for (let i = 0; i < 100 && (await backends()).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await backends()).toEqual([]);
    await locker.query('ROLLBACK');
    expect((await pgQuery(`SELECT count(*)::int AS n FROM ${scratch().qualified(table)}`)).rows).toEqual([{ n: 0 }]);
    // Run again (a new sink, as after a restart), the batch is written, not skipped.
    const again = await sinkOn(table, sinkId, false);
    expect((await again.writeBatch({ batchTime: 1000 }, [['a']])).skipped).toBe(false);
  });

  it('fails a write waiting to retry (PostgreSQL unreachable) at once', async () => {
    const table = scratch().unique('away');
    const sink = await sinkOn(table, scratch().unique('close'), true);
    await sink.init();
    await proxy.down();
    const write = sink.writeBatch({ batchTime: 1000 }, [['a']]).catch((e: unknown) => String(e));
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await sink.close();
    expect(await write).toMatch(/closed while (retrying|writing) \(batch 1000\)/);
    expect(elapsed(t0)).toBeLessThan(3_000);
  });

  it('a DStream job stops at once when the sink is closed with the stop (the batch fails, nothing half written)', async () => {
    const table = scratch().unique('dstream');
    const sink = await sinkOn(table, scratch().unique('close'), true);
    await sink.init();
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc.queueStream([['a'], ['b']]).foreachRDD(sink.writer((k: string): [string] => [k]));
    await ssc.start();
    await clock.advance(1000);
    await proxy.down();
    const second = clock.advance(1000).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await Promise.all([ssc.stop(), sink.close()]);
    expect(elapsed(t0)).toBeLessThan(3_000);
    expect(String(await second)).toMatch(/closed while (retrying|writing) \(batch 2000\)/);
    await proxy.up();
    expect((await pgQuery(`SELECT k FROM ${scratch().qualified(table)}`)).rows).toEqual([{ k: 'a' }]);
  });
});
