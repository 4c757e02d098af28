/**
 * query.stop() on a format('postgres') query interrupts the batch in flight, as Spark's stop()
 * does: with PostgreSQL unreachable it used to wait out the sink's retries (about a minute). The
 * interrupted batch is not committed, is not the query's exception, and is written when the
 * query is started again on its checkpoint.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStream } from '../../src/sql/index.js';
import { pgQuery, resolvePg, useScratchSchema } from '../helpers/postgres.js';
import { TcpProxy } from '../sinks/tcp-proxy.js';
import { session, tempDir } from './helpers.js';

const scratch = useScratchSchema('dstreams_sql_stop');
let proxy: TcpProxy;
beforeEach(async () => {
  const { host, port } = await resolvePg();
  proxy = await new TcpProxy(host, port).start();
});
afterEach(async () => {
  await proxy.close();
});

describe('postgres sink: query.stop()', () => {
  it('stops at once while the sink retries, and the batch it interrupted is written after a restart', async () => {
    const { database, user } = await resolvePg();
    const table = `${scratch().schema}.stopped`;
    const checkpointLocation = tempDir();
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const start = () =>
      input.toDF().writeStream.format('postgres')
        .options({ url: `jdbc:postgresql://127.0.0.1:${proxy.port}/${database}`, user, dbtable: table, checkpointLocation })
        .start();
    const q = await start();
    input.addData('a');
    await q.processAllAvailable();
    await proxy.down();
    input.addData('b');
    const draining = q.processAllAvailable().then(() => 'resolved', (e: unknown) => String(e));
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await q.stop();
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(await draining).toBe('resolved');
    expect(q.exception()).toBeNull();
    expect((await pgQuery(`SELECT value FROM ${table} ORDER BY value`)).rows).toEqual([{ value: 'a' }]);

    await proxy.up();
    const again = await start();
    await again.processAllAvailable();
    await again.stop();
    expect((await pgQuery(`SELECT value FROM ${table} ORDER BY value`)).rows).toEqual([{ value: 'a' }, { value: 'b' }]);
  });
});
