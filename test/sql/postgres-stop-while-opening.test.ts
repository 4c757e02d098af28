/**
 * stop() while a format('postgres') query is still opening — PostgreSQL unreachable, the sink
 * retrying its setup — closes the sink at once, so the abandoned opening ends promptly rather than
 * after the sink's retry budget (about a minute). A new run on the same checkpointLocation waits
 * for that opening to end: it sat ~55 s in 'Initializing sources' before. Nothing of the stopped
 * run is written.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStream } from '../../src/sql/index.js';
import { PostgresSink } from '../../src/sinks/postgres/index.js';
import { pgQuery, resolvePg, useScratchSchema } from '../helpers/postgres.js';
import { TcpProxy } from '../sinks/tcp-proxy.js';
import { session, tempDir } from './helpers.js';

const scratch = useScratchSchema('dstreams_sql_stop_opening');
/** A port where PostgreSQL does not answer (a proxy in front of it, kept down). */
let unreachable: TcpProxy;
beforeEach(async () => {
  const { host, port } = await resolvePg();
  unreachable = await new TcpProxy(host, port).start();
  await unreachable.down();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await unreachable.close();
});

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `p`, or a rejection once `ms` passed. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]);
}

describe('postgres sink: stop() while the query opens', () => {
  it('closes the sink at once (its setup stops retrying), and a new run on the checkpoint opens and writes promptly', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const closed = vi.spyOn(PostgresSink.prototype, 'close');
    const { host, port, database, user } = await resolvePg();
    const table = `${scratch().schema}.stop_opening`;
    const checkpointLocation = tempDir();
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const start = (at: string) =>
      input.toDF().writeStream.format('postgres')
        .options({ url: `jdbc:postgresql://${at}/${database}`, user, dbtable: table, checkpointLocation })
        .start();

    const a = start(`127.0.0.1:${unreachable.port}`);
    input.addData('a');
    await new Promise((r) => setTimeout(r, 500));
    expect(a.status.message).toBe('Initializing sources');
    const t0 = Date.now();
    await a.stop();
    expect(Date.now() - t0).toBeLessThan(500);
    // The sink is closed now, not once its retries (a minute) run out.
    await until(() => closed.mock.calls.length > 0, 3_000);
    expect(a.exception()).toBeNull();

    // A new run, where PostgreSQL answers: it opens once the first run's opening ended.
    const b = start(`${host}:${port}`);
    const t1 = Date.now();
    await within(b.processAllAvailable(), 15_000, "the new run's first batch");
    expect(Date.now() - t1).toBeLessThan(10_000);
    expect(b.exception()).toBeNull();
    expect(b.lastProgress?.batchId).toBe(0);
    await b.stop();
    // Only the new run wrote: the 'a' added while the first one opened, once.
    expect((await pgQuery(`SELECT value FROM ${table} ORDER BY value`)).rows).toEqual([{ value: 'a' }]);
    expect(errors).not.toHaveBeenCalled();
  });
});
