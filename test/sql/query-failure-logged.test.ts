/**
 * A query's failure is logged once, with its stack, as Spark's StreamExecution logs "Query <name>
 * [id = …, runId = …] terminated with error": a query nobody awaits (Listing 7.12 + 7.14 typed in
 * a shell) does not fail silently.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStream } from '../../src/sql/index.js';
import { session } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** A port nothing listens on: one a server had, closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a query that fails logs it', () => {
  it('a foreachBatch that throws, in a query nobody awaits: logged once with the query and the stack', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const q = input
      .toDF()
      .writeStream.queryName('fragile')
      .foreachBatch((_df, id) => {
        if (id === 1) throw new Error('boom in foreachBatch');
      })
      .start();
    input.addData(1);
    await q.processAllAvailable();
    input.addData(2);
    await q.processAllAvailable().catch(() => undefined);
    await q.awaitTermination().catch(() => undefined);
    const logged = errors.mock.calls.filter(([m]) => /terminated with error/.test(String(m)));
    expect(logged).toHaveLength(1);
    const [message, error] = logged[0]!;
    expect(message).toBe(`dstreams: Query fragile [id = ${q.id}, runId = ${q.runId}] terminated with error`);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).stack).toMatch(/boom in foreachBatch\n\s+at /);
    // The query's exception names it as Spark's does.
    expect(q.exception()?.message).toBe(`Query fragile [id = ${q.id}, runId = ${q.runId}] terminated with exception: boom in foreachBatch`);
  });

  it('a source that cannot open (socket, nothing listening), nothing awaiting: logged once; an unnamed query reads "Query [id = …"', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const spark = session();
    const port = await closedPort();
    const q = spark.readStream.format('socket').option('host', '127.0.0.1').option('port', port).load().writeStream.format('console').start();
    await until(() => !q.isActive);
    const logged = errors.mock.calls.filter(([m]) => /terminated with error/.test(String(m)));
    expect(logged).toHaveLength(1);
    expect(logged[0]![0]).toBe(`dstreams: Query [id = ${q.id}, runId = ${q.runId}] terminated with error`);
    expect(String(logged[0]![1])).toMatch(/cannot connect to 127\.0\.0\.1/);
    expect(q.exception()?.message).toMatch(/^Query \[id = .*terminated with exception: socket source: cannot connect/);
  });

  it('a query stopped without a failure logs nothing', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const q = input.toDF().writeStream.format('memory').queryName('calm').start();
    input.addData(1, 2);
    await q.processAllAvailable();
    await q.stop();
    expect(errors).not.toHaveBeenCalled();
  });
});
