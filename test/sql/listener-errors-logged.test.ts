/**
 * A StreamingQueryListener that throws (or rejects) is logged and the query goes on, as Spark's
 * ListenerBus ("Listener … threw an exception"): a bug in a metrics listener does not end the
 * query it watches, nor keep the other listeners from hearing the event.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStream, type StreamingQueryListener } from '../../src/sql/index.js';
import { session } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('listener errors', () => {
  it('onQueryProgress throws on batch 0: logged, the query runs on, the other listeners hear every batch', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const spark = session();
    class MetricsListener implements StreamingQueryListener {
      onQueryProgress(e: Parameters<NonNullable<StreamingQueryListener['onQueryProgress']>>[0]): void {
        if (e.progress.batchId === 0) throw new Error('bug in my metrics listener');
      }
    }
    const heard: number[] = [];
    spark.streams.addListener(new MetricsListener());
    spark.streams.addListener({ onQueryProgress: (e) => void heard.push(e.progress.batchId) });
    const input = new MemoryStream<number>(spark, 'integer');
    const q = input.toDF().writeStream.format('memory').queryName('t').start();
    input.addData(1, 2);
    await q.processAllAvailable();
    input.addData(3);
    await q.processAllAvailable();
    expect(q.isActive).toBe(true);
    expect(q.exception()).toBeNull();
    expect(spark.table('t').count()).toBe(3);
    expect(heard).toEqual([0, 1]);
    expect(errors).toHaveBeenCalledTimes(1);
    const [message, error] = errors.mock.calls[0]!;
    expect(message).toBe('dstreams: Listener MetricsListener threw an exception');
    expect((error as Error).message).toBe('bug in my metrics listener');
    await q.stop();
  });

  it('an async listener that rejects: logged, no unhandled rejection; onQueryTerminated that throws does not fail stop()', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const spark = session();
    spark.streams.addListener({
      onQueryProgress: async () => {
        throw new Error('async listener bug');
      },
      onQueryTerminated: () => {
        throw new Error('terminated listener bug');
      },
    });
    const input = new MemoryStream<number>(spark, 'integer');
    const q = input.toDF().writeStream.format('memory').queryName('t2').start();
    input.addData(1);
    await q.processAllAvailable();
    await new Promise((r) => setTimeout(r, 10));
    await expect(q.stop()).resolves.toBeUndefined();
    expect(q.exception()).toBeNull();
    const logged = errors.mock.calls.map(([m, e]) => `${String(m)}: ${(e as Error).message}`);
    expect(logged).toEqual([
      'dstreams: Listener StreamingQueryListener threw an exception: async listener bug',
      'dstreams: Listener StreamingQueryListener threw an exception: terminated listener bug',
    ]);
  });
});
