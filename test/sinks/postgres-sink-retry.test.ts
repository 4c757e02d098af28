/**
 * Retries against the real PostgreSQL, made unreachable for the sink only: the sink connects
 * through a TCP proxy on 127.0.0.1 that the test closes and reopens, or has its own backends
 * terminated with pg_terminate_backend. The server itself keeps running for everyone else.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  PostgresSink,
  PostgresSinkError,
  type PostgresSinkOptions,
  type RetryEvent,
  type WriteMethod,
} from '../../src/sinks/postgres/index.js';
import { pgQuery, resolvePg, sinkConnection, useScratchSchema } from '../helpers/postgres.js';
import { TcpProxy } from './tcp-proxy.js';

const scratch = useScratchSchema('dstreams_sink_retry');
let proxy: TcpProxy;
const sinks: PostgresSink<any>[] = [];

beforeEach(async () => {
  const { host, port } = await resolvePg();
  proxy = await new TcpProxy(host, port).start();
});

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await proxy.close();
});

type Row = [number, string, number];
const fastRetry = { initialDelayMs: 50, maxDelayMs: 400, maxElapsedMs: 30_000 };

/** A sink that connects through the proxy (or, with `direct`, to the server itself). */
async function proxiedSink(
  { direct, ...opts }: Partial<PostgresSinkOptions<Row>> & { method: WriteMethod; direct?: boolean },
  retries: RetryEvent[],
): Promise<{ sink: PostgresSink<Row>; table: string }> {
  const table = scratch().unique(`retry_${opts.method}`);
  const sink = new PostgresSink<Row>({
    ...(await sinkConnection(
      direct ? { connectionTimeoutMillis: 2_000 } : { host: '127.0.0.1', port: proxy.port, connectionTimeoutMillis: 2_000 },
    )),
    table: scratch().table(table),
    columns: ['id', 'payload', 'batch'],
    createTable: { id: 'integer', payload: 'text', batch: 'bigint' },
    sinkId: scratch().unique('retry'),
    retry: fastRetry,
    onRetry: (e) => retries.push(e),
    ...opts,
  });
  sinks.push(sink);
  return { sink, table };
}

function batchRows(batch: number, n: number): Row[] {
  return Array.from({ length: n }, (_, i): Row => [batch * 1_000_000 + i, `row ${i} of batch ${batch} ${'x'.repeat(40)}`, batch]);
}

async function countByBatch(table: string): Promise<Record<string, number>> {
  const res = await pgQuery<{ batch: string; n: number; distinct_ids: number }>(
    `SELECT batch::text, count(*)::int AS n, count(DISTINCT id)::int AS distinct_ids
       FROM ${scratch().qualified(table)} GROUP BY batch ORDER BY batch`,
  );
  for (const r of res.rows) expect(r.distinct_ids).toBe(r.n); // no row twice
  return Object.fromEntries(res.rows.map((r) => [r.batch, r.n]));
}

describe.each(['insert', 'copy'] as WriteMethod[])('PostgresSink retries (method %s)', (method) => {
  it('Postgres unreachable for a few seconds mid-write: the write waits, nothing is lost or doubled', async () => {
    const retries: RetryEvent[] = [];
    const { sink, table } = await proxiedSink({ method }, retries);
    await sink.writeBatch({ batchTime: 1 }, batchRows(1, 1000));

    // Cut every connection once ~300 kB of batch 2 has gone through the proxy, and refuse
    // connections for 2.5 s: the sink sees ECONNRESET / a terminated connection, then ECONNREFUSED.
    const cut = proxy.cutAfter(300_000, 2_500);
    const started = Date.now();
    const offsets = [{ topic: 'rsvps', partition: 0, fromOffset: 0, untilOffset: 20_000 }];
    const write2 = sink.writeBatch({ batchTime: 2, offsetRanges: offsets }, batchRows(2, 20_000));
    await cut;
    // While the proxy is down, the next batch queues up behind it too.
    const write3 = sink.writeBatch({ batchTime: 3 }, batchRows(3, 500));
    const [r2, r3] = await Promise.all([write2, write3]);

    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(r2.skipped).toBe(false);
    expect(r2.attempts).toBeGreaterThan(1);
    expect(r3.skipped).toBe(false);
    expect(retries.length).toBeGreaterThan(1);
    const codes = new Set(retries.map((e) => (e.error as { code?: string }).code ?? (e.error as Error).message));
    expect([...codes].some((c) => c === 'ECONNREFUSED')).toBe(true);
    expect(await countByBatch(table)).toEqual({ '1': 1000, '2': 20_000, '3': 500 });
    expect(await sink.storedOffsets()).toEqual({ 'rsvps:0': 20_000 });
  });

  it('a COMMIT whose reply is lost is not written twice (the retry finds the batch committed)', async () => {
    const retries: RetryEvent[] = [];
    const { sink, table } = await proxiedSink({ method }, retries);
    await sink.init();
    const lost = proxy.loseNextCommitReply();
    const result = await sink.writeBatch(
      { batchTime: 10, offsetRanges: [{ topic: 't', partition: 3, fromOffset: 0, untilOffset: 77 }] },
      batchRows(10, 3000),
    );
    await lost;
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(result).toMatchObject({ skipped: true, recoveredCommit: true });
    expect(result.attempts).toBeGreaterThanOrEqual(2);
    expect(await countByBatch(table)).toEqual({ '10': 3000 });
    expect(await sink.storedOffsets()).toEqual({ 't:3': 77 });
  });

  it('pg_terminate_backend on the sink connection mid-transaction (57P01) is retried', async () => {
    const retries: RetryEvent[] = [];
    const applicationName = scratch().unique('dstreams-kill');
    const { sink, table } = await proxiedSink({ method, applicationName, direct: true }, retries);
    await sink.init();
    const write = sink.writeBatch({ batchTime: 20 }, batchRows(20, 60_000));
    let killed = 0;
    const deadline = Date.now() + 10_000;
    while (killed === 0 && Date.now() < deadline) {
      const res = await pgQuery<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE application_name = $1 AND state IN ('active', 'idle in transaction')`,
        [applicationName],
      );
      killed = res.rows.filter((r) => r.ok).length;
      if (killed === 0) await new Promise((r) => setTimeout(r, 2));
    }
    expect(killed).toBeGreaterThan(0);
    const result = await write;
    expect(result.skipped).toBe(false);
    expect(result.attempts).toBeGreaterThan(1);
    // The FATAL 57P01 message, or — when the server closed the socket while the client was
    // still sending a large statement — a reset connection.
    const first = retries[0]!.error as { code?: string; message?: string };
    expect(['57P01', 'ECONNRESET', 'EPIPE']).toContain(first.code ?? first.message);
    expect(await countByBatch(table)).toEqual({ '20': 60_000 });
  });
});

describe('PostgresSink retry limits', () => {
  it('waits for a Postgres that is unreachable when the sink starts', async () => {
    const retries: RetryEvent[] = [];
    await proxy.outage(1_500);
    const { sink, table } = await proxiedSink({ method: 'copy' }, retries);
    const result = await sink.writeBatch({ batchTime: 1 }, batchRows(1, 10));
    expect(result.skipped).toBe(false);
    expect(retries.length).toBeGreaterThan(0);
    expect(await countByBatch(table)).toEqual({ '1': 10 });
  });

  it('gives up after maxElapsedMs with a retryable error naming the table and the cause', async () => {
    const retries: RetryEvent[] = [];
    await proxy.down();
    const { sink } = await proxiedSink(
      { method: 'insert', retry: { initialDelayMs: 20, maxDelayMs: 100, maxElapsedMs: 700 } },
      retries,
    );
    const started = Date.now();
    const err = (await sink.writeBatch({ batchTime: 1 }, batchRows(1, 1)).catch((e: unknown) => e)) as PostgresSinkError;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(PostgresSinkError);
    expect(err.retryable).toBe(true);
    expect(err.attempts).toBeGreaterThan(2);
    expect(err.message).toMatch(/unreachable/);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).toContain(scratch().schema);
  });

  it('retry: false makes a single attempt; close() stops a write that retries for ever', async () => {
    await proxy.down();
    const once = await proxiedSink({ method: 'insert', retry: false }, []);
    const err = (await once.sink.writeBatch({ batchTime: 1 }, []).catch((e: unknown) => e)) as PostgresSinkError;
    expect(err.attempts).toBe(1);
    expect(err.retryable).toBe(true);

    const retries: RetryEvent[] = [];
    const forever = await proxiedSink({ method: 'insert', retry: { maxElapsedMs: Infinity, initialDelayMs: 20 } }, retries);
    const pending = forever.sink.writeBatch({ batchTime: 1 }, []).catch((e: unknown) => e);
    // Wait for the first retry (a refused connection, then 20 ms), not a fixed time.
    const deadline = Date.now() + 30_000;
    while (retries.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(retries.length).toBeGreaterThan(0);
    await forever.sink.close();
    const closedErr = (await pending) as PostgresSinkError;
    expect(closedErr).toBeInstanceOf(PostgresSinkError);
    expect(closedErr.message).toMatch(/closed/);
  });
});
