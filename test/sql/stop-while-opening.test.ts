/**
 * stop() while the query is still opening (its sink, its source) returns at once, as Spark's stop()
 * interrupts the stream thread: the opening is abandoned — a Kafka source does not retry a broker
 * that does not answer, the sink made is closed at once — and what it opened is closed when it
 * ends; its failure is not the query's.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KafkaClient } from '../../src/kafka/client.js';
import { MemoryStream } from '../../src/sql/index.js';
import { registerSinkFormat } from '../../src/sql/sinks/registry.js';
import type { BatchOutput, Sink } from '../../src/sql/sinks/Sink.js';
import { session, tempDir } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A sink whose open() takes `ms`; what happened to it, in order. */
const slowSinks: string[][] = [];
registerSinkFormat('slow-open-test', () => () => {
  const events: string[] = [];
  slowSinks.push(events);
  const sink: Sink = {
    description: 'SlowOpenSink',
    async open() {
      events.push('open');
      await new Promise((r) => setTimeout(r, 1500));
      events.push('opened');
    },
    async addBatch(b: BatchOutput) {
      events.push(`batch ${b.batchId}`);
    },
    async close() {
      events.push('close');
    },
  };
  return sink;
});

describe('stop() while the query opens', () => {
  it('a sink still opening: stop() returns at once; the sink is closed at once, while its open() runs; no batch runs', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    input.addData(1, 2);
    const q = input.toDF().writeStream.format('slow-open-test').option('checkpointLocation', tempDir()).start();
    const events = slowSinks[slowSinks.length - 1]!;
    await until(() => events.includes('open'));
    const t0 = Date.now();
    await q.stop();
    expect(Date.now() - t0).toBeLessThan(500);
    expect(q.isActive).toBe(false);
    expect(q.status.message).toBe('Stopped');
    await expect(q.awaitTermination()).resolves.toBeUndefined();
    await expect(q.processAllAvailable()).resolves.toBeUndefined();
    // Closed at once, while its open() runs (a PostgreSQL sink's close() ends its setup's retries).
    await until(() => events.includes('close'), 500);
    expect(events).toEqual(['open', 'close']);
    await until(() => events.includes('opened'));
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual(['open', 'close', 'opened']);
    expect(q.exception()).toBeNull();
    expect(spark.streams.active).toEqual([]);
    expect(errors).not.toHaveBeenCalled();
  });

  it('a Kafka source whose broker does not answer: stop() returns at once, the source stops retrying and its client is closed', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const closed = vi.spyOn(KafkaClient.prototype, 'close');
    const spark = session();
    const q = spark.readStream
      .format('kafka')
      .option('kafka.bootstrap.servers', '127.0.0.1:1')
      .option('subscribe', 't')
      .load()
      .writeStream.format('memory')
      .queryName('unreachable')
      .start();
    await new Promise((r) => setTimeout(r, 1500));
    expect(q.status.message).toBe('Initializing sources');
    const t0 = Date.now();
    await q.stop();
    expect(Date.now() - t0).toBeLessThan(500);
    expect(q.exception()).toBeNull();
    // Its retry budget is two minutes: the abandoned opening ends well before.
    await until(() => closed.mock.calls.length > 0, 15_000);
    expect(errors).not.toHaveBeenCalled();
  });
});
