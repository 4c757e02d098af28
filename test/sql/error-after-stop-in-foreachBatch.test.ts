/**
 * stop() excuses only what it interrupts (Spark's isInterruptedByStop: a sink it closed under the
 * batch). A foreachBatch function that throws after `await query.stop()` threw its own error: the
 * query fails with it, logged once, and awaitTermination rejects — it used to end as stopped, silently.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStream, StreamingQueryException, type StreamingQuery } from '../../src/sql/index.js';
import { session } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('an error a foreachBatch throws after query.stop()', () => {
  it('fails the query: logged once with its stack, processAllAvailable and awaitTermination reject with it', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const q: StreamingQuery = input
      .toDF()
      .writeStream.queryName('stops-then-throws')
      .foreachBatch(async () => {
        await q.stop();
        throw new Error('thrown after stop');
      })
      .start();
    input.addData(1);
    await expect(q.processAllAvailable()).rejects.toThrow('thrown after stop');
    const terminated = await q.awaitTermination().then(() => 'resolved', (e: unknown) => e);
    expect(terminated).toBeInstanceOf(StreamingQueryException);
    expect((terminated as Error).cause).toEqual(new Error('thrown after stop'));
    expect(q.isActive).toBe(false);
    const logged = errors.mock.calls.filter(([m]) => /terminated with error/.test(String(m)));
    expect(logged).toHaveLength(1);
    expect((logged[0]![1] as Error).stack).toMatch(/thrown after stop\n\s+at /);
  });
});
