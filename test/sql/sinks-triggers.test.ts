import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/context/Clock.js';
import { MemoryStream, SparkSession, StreamingQuery, StreamingQueryException, functions as F } from '../../src/sql/index.js';
import { CheckpointStore } from '../../src/checkpoint/index.js';
import { listenBelowEphemeral, session, tempDir } from './helpers.js';

describe('sinks × output modes (seed 002 table), checked at start()', () => {
  const cases: [string, string, boolean][] = [
    ['memory', 'update', false],
    ['memory', 'append', true],
    ['memory', 'complete', true],
    ['console', 'update', true],
    ['json', 'update', false],
    ['csv', 'complete', false],
    ['text', 'update', false],
  ];
  for (const [format, mode, ok] of cases) {
    it(`${format} × ${mode}: ${ok ? 'accepted' : 'refused'}`, async () => {
      const spark = session();
      const input = new MemoryStream<string>(spark, 'string');
      const df = mode === 'append' ? input.toDF() : input.toDF().groupBy('value').count();
      const start = () => df.writeStream.format(format).outputMode(mode).queryName(`q_${format}_${mode}`).option('path', '/tmp/never').start();
      if (ok) await start().stop();
      else expect(start).toThrow(`Data source ${format} does not support ${mode[0]!.toUpperCase()}${mode.slice(1)} output mode`);
    });
  }

  it('file sinks need a checkpointLocation; memory needs a queryName', async () => {
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    expect(() => input.toDF().writeStream.format('json').start('/tmp/x')).toThrow(/checkpointLocation must be specified/);
    expect(() => input.toDF().writeStream.format('memory').start()).toThrow('queryName must be specified for memory sink');
    expect(() => input.toDF().writeStream.outputMode('bogus')).toThrow(/Unknown output mode bogus/);
  });
});

describe('start() returns the query at once (API.md: start(path?): StreamingQuery)', () => {
  it('the query, its id and its name are there when start() returns; the first trigger waits for the sink and engine to open', async () => {
    const clock = new ManualClock();
    const spark = new SparkSession({ clock });
    try {
      const input = new MemoryStream<number>(spark, 'integer');
      const location = mkdtempSync(join(tmpdir(), 'dstreams-start-'));
      const q = input.toDF().writeStream.format('memory').queryName('now').option('checkpointLocation', location).start();
      expect(q).toBeInstanceOf(StreamingQuery);
      expect(q.isActive).toBe(true);
      expect(spark.streams.active).toEqual([q]);
      expect(JSON.parse(readFileSync(join(location, 'metadata'), 'utf8'))).toEqual({ id: q.id });
      input.addData(1, 2);
      await q.processAllAvailable();
      expect(spark.table('now').collect()).toEqual([{ value: 1 }, { value: 2 }]);
      await q.stop();
      // The id is kept across restarts from the same checkpoint.
      const again = input.toDF().writeStream.format('memory').queryName('now').option('checkpointLocation', location).start();
      expect(again.id).toBe(q.id);
      await again.stop();
    } finally {
      await spark.stop();
    }
  });

  it('stop() while the query is still opening stops it cleanly', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const q = input.toDF().writeStream.format('memory').queryName('brief').option('checkpointLocation', mkdtempSync(join(tmpdir(), 'dstreams-brief-'))).start();
    await q.stop();
    expect(q.isActive).toBe(false);
    expect(q.exception()).toBeNull();
    expect(spark.streams.active).toEqual([]);
  });
});

describe('console, memory and foreachBatch sinks', () => {
  it("console prints Spark's Batch: N header and table", async () => {
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      const words = input.toDF().select(F.explode(F.split(F.col('value'), ' ')).alias('word'));
      const q = await words.groupBy('word').count().writeStream.outputMode('complete').format('console').start();
      input.addData('a b a');
      await q.processAllAvailable();
      await q.stop();
    } finally {
      write.mockRestore();
    }
    expect(out.join('')).toBe(
      [
        '-------------------------------------------',
        'Batch: 0',
        '-------------------------------------------',
        '+----+-----+',
        '|word|count|',
        '+----+-----+',
        '|   a|    2|',
        '|   b|    1|',
        '+----+-----+',
        '',
        '',
      ].join('\n'),
    );
  });

  it("memory sink: spark.table and spark.sql over it (Listing 7.15), append and complete", async () => {
    const spark = session();
    const input = new MemoryStream<{ TripID: number; StartStation: string }>(spark, 'TripID INT, StartStation STRING');
    const q1 = await input.toDF().writeStream.format('memory').queryName('trips').start();
    const q2 = await input.toDF().groupBy('StartStation').count().writeStream.format('memory').outputMode('complete').queryName('per_station').start();
    input.addData({ TripID: 1, StartStation: 'A' }, { TripID: 2, StartStation: 'B' });
    await q1.processAllAvailable();
    await q2.processAllAvailable();
    input.addData({ TripID: 3, StartStation: 'A' });
    await q1.processAllAvailable();
    await q2.processAllAvailable();
    expect(spark.table('trips').collect().map((r) => r.TripID)).toEqual([1, 2, 3]);
    expect(spark.sql('select * from per_station order by StartStation').collect()).toEqual([
      { StartStation: 'A', count: 2 },
      { StartStation: 'B', count: 1 },
    ]);
    expect(spark.streams.active.map((q) => q.name).sort()).toEqual(['per_station', 'trips']);
  });

  it('foreachBatch: batch ids 0, 1, …; an error in it terminates the query and awaitTermination rejects', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const seen: [number, number[]][] = [];
    const q = await input
      .toDF()
      .writeStream.foreachBatch((df, id) => {
        const vals = df.collect().map((r) => r.value as number);
        if (vals.includes(13)) throw new Error('unlucky');
        seen.push([id, vals]);
      })
      .start();
    input.addData(1, 2);
    await q.processAllAvailable();
    input.addData(3);
    await q.processAllAvailable();
    expect(seen).toEqual([[0, [1, 2]], [1, [3]]]);
    input.addData(13);
    await expect(q.processAllAvailable()).rejects.toThrow(StreamingQueryException);
    await expect(q.awaitTermination()).rejects.toThrow(/unlucky/);
    expect(q.isActive).toBe(false);
    expect(q.exception()!.message).toMatch(/terminated with exception: .*unlucky/);
    await expect(spark.streams.awaitAnyTermination()).rejects.toThrow(/unlucky/);
  });

  it('a checkpoint write that fails after its batch returned ends the query: no later batch runs or is reported', async () => {
    const spark = new SparkSession({ clock: new ManualClock() });
    const input = new MemoryStream<string>(spark, 'string');
    const seen: [number, string[]][] = [];
    const enqueue = CheckpointStore.prototype.enqueue;
    let failWrites = false;
    // A batch's commit fails a little after it was queued: after the batch's trigger returned.
    CheckpointStore.prototype.enqueue = function (this: CheckpointStore, c, o) {
      if (!failWrites || c.deltas === undefined) return enqueue.call(this, c, o);
      return new Promise((_, reject) => setTimeout(() => reject(new Error('disk on fire')), 30));
    };
    try {
      const q = await input
        .toDF()
        .writeStream.foreachBatch((df, id) => void seen.push([id, df.collect().map((r) => String(r.value))]))
        .option('checkpointLocation', tempDir())
        .start();
      input.addData('a');
      await q.processAllAvailable();
      // Group commit: batch 0's trigger returned before its write; the next writes fail.
      failWrites = true;
      input.addData('b');
      await q.processAllAvailable();
      await new Promise((r) => setTimeout(r, 100));
      input.addData('c');
      await expect(q.processAllAvailable()).rejects.toThrow(StreamingQueryException);
      await expect(q.awaitTermination()).rejects.toThrow(/disk on fire/);
      expect(q.isActive).toBe(false);
      expect(seen.flatMap(([, rows]) => rows)).not.toContain('c');
      expect(q.recentProgress.map((p) => p.batchId).every((id) => id <= 1)).toBe(true);
    } finally {
      CheckpointStore.prototype.enqueue = enqueue;
      await spark.stop();
    }
  });

  it('a listener that throws: onQueryStarted fails start() and leaves no query active; onQueryTerminated still lets awaitAnyTermination settle', async () => {
    const spark = new SparkSession({ clock: new ManualClock() });
    const input = new MemoryStream<string>(spark, 'string');
    // Active when its listeners hear of it, as in Spark.
    const activeAtStart: boolean[] = [];
    spark.streams.addListener({ onQueryStarted: (e) => void activeAtStart.push(spark.streams.get(e.id) !== undefined) });
    const startedListener = { onQueryStarted: () => { throw new Error('started-listener bug'); } };
    spark.streams.addListener(startedListener);
    expect(() => input.toDF().writeStream.queryName('leaky').foreachBatch(() => undefined).start()).toThrow(/started-listener bug/);
    expect(spark.streams.active).toEqual([]);
    expect(activeAtStart).toEqual([true]);
    spark.streams.removeListener(startedListener);
    // The name is free again.
    spark.streams.addListener({ onQueryTerminated: () => { throw new Error('terminated-listener bug'); } });
    const q = await input.toDF().writeStream.queryName('leaky').foreachBatch(() => { throw new Error('user fn failed'); }).start();
    const any = spark.streams.awaitAnyTermination();
    input.addData('x');
    await expect(q.processAllAvailable()).rejects.toThrow(/user fn failed/);
    await expect(any).rejects.toThrow(/user fn failed/);
    expect(q.isActive).toBe(false);
    await spark.stop().catch(() => undefined);
  });

  it('stream–static join', async () => {
    const spark = session();
    const stations = spark.createDataFrame([{ id: 1, name: 'Paseo' }, { id: 2, name: 'Townsend' }]);
    const input = new MemoryStream<{ id: number; trip: string }>(spark, 'id INT, trip STRING');
    const q = await input.toDF().join(stations, 'id').writeStream.format('memory').queryName('joined').start();
    input.addData({ id: 2, trip: 'x' }, { id: 3, trip: 'y' }, { id: 1, trip: 'z' });
    await q.processAllAvailable();
    expect(spark.table('joined').collect()).toEqual([
      { id: 2, trip: 'x', name: 'Townsend' },
      { id: 1, trip: 'z', name: 'Paseo' },
    ]);
    expect(() => input.toDF().join(stations, 'id', 'full')).toThrow(/not supported/);
  });
});

describe('triggers and progress', () => {
  it('processingTime on a ManualClock: one trigger per interval; empty triggers run no batch', async () => {
    const clock = new ManualClock();
    const spark = new SparkSession({ clock });
    try {
      const input = new MemoryStream<number>(spark, 'integer');
      const q = await input.toDF().writeStream.format('memory').queryName('t').trigger({ processingTime: '10 seconds' }).start();
      input.addData(1);
      await clock.advance(5_000);
      expect(spark.table('t').count()).toBe(0);
      await clock.advance(5_000);
      expect(spark.table('t').count()).toBe(1);
      expect(q.status.isDataAvailable).toBe(true);
      await clock.advance(10_000);
      expect(q.recentProgress.length).toBe(1);
      expect(q.status.isDataAvailable).toBe(false);
      input.addData(2, 3);
      await clock.advance(10_000);
      expect(spark.table('t').count()).toBe(3);
      const p = q.lastProgress!;
      expect(p).toMatchObject({ batchId: 1, numInputRows: 2, sources: [{ startOffset: 0, endOffset: 2, numInputRows: 2 }], sink: { numOutputRows: 2 } });
      expect(p.timestamp).toBe('1970-01-01T00:00:30.000Z');
      expect(p.inputRowsPerSecond).toBeCloseTo(2 / 20);
      expect(Object.keys(p.durationMs)).toContain('triggerExecution');
    } finally {
      await spark.stop();
    }
  });

  it("processingTime on a ManualClock: an advance over several intervals runs one trigger, the next at the following multiple (Spark's ProcessingTimeExecutor)", async () => {
    const dir = tempDir();
    for (const n of [1, 2, 3]) writeFileSync(join(dir, `f${n}.txt`), `line ${n}\n`);
    const clock = new ManualClock();
    const spark = new SparkSession({ clock });
    try {
      const lines = spark.readStream.option('maxFilesPerTrigger', 1).text(dir);
      const q = lines.writeStream.format('memory').queryName('jump').trigger({ processingTime: '10 seconds' }).start();
      await clock.advance(35_000);
      expect(spark.table('jump').count()).toBe(1);
      await clock.advance(4_999);
      expect(spark.table('jump').count()).toBe(1);
      await clock.advance(1);
      expect(spark.table('jump').count()).toBe(2);
      expect(q.recentProgress.map((p) => p.timestamp)).toEqual(['1970-01-01T00:00:35.000Z', '1970-01-01T00:00:40.000Z']);
    } finally {
      await spark.stop();
    }
  });

  it('availableNow processes everything, then stops; once runs one batch', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    input.addData(1, 2);
    const q = await input.toDF().writeStream.format('memory').queryName('an').trigger({ availableNow: true }).start();
    await q.awaitTermination();
    expect(spark.table('an').count()).toBe(2);
    expect(q.isActive).toBe(false);
    expect(await q.awaitTermination(10)).toBe(true);
  });

  it('availableNow stops at the data there when it started: rows added while it runs wait for the next run', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    input.addData(1, 2, 3);
    const seen: [number, unknown[]][] = [];
    const q = input
      .toDF()
      .writeStream.trigger({ availableNow: true })
      .foreachBatch((df, id) => {
        seen.push([id, df.collect().map((r) => r.value)]);
        input.addData(100 + id); // a producer that keeps writing while the query runs
      })
      .start();
    expect(await q.awaitTermination(10_000)).toBe(true);
    expect(seen).toEqual([[0, [1, 2, 3]]]);
  });

  it('a processingTime that does not parse fails at trigger(); Spark\'s units up to days are taken, months refused', () => {
    const spark = session();
    const w = new MemoryStream<number>(spark, 'integer').toDF().writeStream;
    expect(() => w.trigger({ processingTime: 'soon' })).toThrow(/cannot parse the trigger interval 'soon'/);
    expect(() => w.trigger({ processingTime: '1 month' })).toThrow(/Doesn't support month or year interval/);
    expect(() => w.trigger({ processingTime: '1 day' })).not.toThrow();
    expect(() => w.trigger({ processingTime: '1 minute 30 seconds' })).not.toThrow();
    expect(spark.streams.active).toEqual([]);
  });

  it('current_timestamp() is one value for a whole micro-batch, the time its trigger ran (Spark: once per query execution)', async () => {
    const spark = new SparkSession({ appName: 'now' });
    try {
      const input = new MemoryStream<number>(spark, 'integer');
      for (let i = 0; i < 30; i++) input.addData(...Array.from({ length: 10_000 }, (_, j) => i * 10_000 + j));
      const stamps = new Set<number>();
      let rows = 0;
      const before = Date.now();
      const q = input
        .toDF()
        .select(F.col('value'), F.current_timestamp().alias('ts'))
        .writeStream.foreachBatch((df) => {
          for (const r of df.collect()) {
            rows++;
            stamps.add((r.ts as Date).getTime());
          }
        })
        .start();
      await q.processAllAvailable();
      await q.stop();
      expect(rows).toBe(300_000);
      expect(stamps.size).toBe(1);
      const [stamp] = [...stamps];
      expect(stamp).toBeGreaterThanOrEqual(before);
      expect(stamp).toBeLessThanOrEqual(Date.now());
    } finally {
      await spark.stop();
    }
  });

  it('the rate source: rowsPerSecond rows a second of { timestamp, value }', async () => {
    const clock = new ManualClock(0);
    const spark = new SparkSession({ clock });
    try {
      const rate = spark.readStream.format('rate').option('rowsPerSecond', 4).load();
      expect(rate.columns).toEqual(['timestamp', 'value']);
      const q = await rate.writeStream.format('memory').queryName('rate').trigger({ processingTime: '1 second' }).start();
      await clock.advance(2000);
      await q.processAllAvailable();
      const rows = spark.table('rate').collect();
      expect(rows.map((r) => r.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(rows[5]!.timestamp).toEqual(new Date(1250));
    } finally {
      await spark.stop();
    }
  });

  it('the socket source: the slides wordcount over a TCP server', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => {
      sockets.push(s);
      s.write('to be or\nnot to be\n');
    });
    const port = await listenBelowEphemeral(server);
    const spark = session();
    try {
      const lines = spark.readStream.format('socket').option('host', '127.0.0.1').option('port', port).load();
      const words = lines.select(F.explode(F.split(lines.col('value'), ' ')).alias('word'));
      const q = await words.groupBy('word').count().writeStream.outputMode('complete').format('memory').queryName('wc').start();
      for (let i = 0; i < 100 && spark.table('wc').count() < 4; i++) {
        await q.processAllAvailable();
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(spark.sql('select * from wc order by word').collect()).toEqual([
        { word: 'be', count: 2 },
        { word: 'not', count: 1 },
        { word: 'or', count: 1 },
        { word: 'to', count: 2 },
      ]);
      // Opening the source happens after start() returns (as Spark's stream thread does it): the
      // query terminates with the error.
      const refused = spark.readStream.format('socket').option('host', '127.0.0.1').option('port', 1).load().writeStream.format('console').start();
      await expect(refused.awaitTermination()).rejects.toThrow(/cannot connect to 127.0.0.1:1/);
      expect(refused.isActive).toBe(false);
      expect(refused.exception()?.message).toMatch(/cannot connect to 127.0.0.1:1/);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});

describe('MemoryStream without a schema (TypeScript has no run-time types)', () => {
  it('toDF() before any data: primitives are `value`, object fields are columns once data comes', async () => {
    const spark = session();
    const nums = new MemoryStream<number>(spark);
    const sums = nums.toDF().groupBy().agg(F.sum('value').alias('s'), F.count('*').alias('n'));
    const q1 = await sums.writeStream.outputMode('complete').format('memory').queryName('sums').start();
    nums.addData(1, 2, 3);
    await q1.processAllAvailable();
    expect(spark.table('sums').collect()).toEqual([{ s: 6, n: 3 }]);

    const events = new MemoryStream<{ word: string; n: number }>(spark);
    const words = events.toDF().select('word', F.col('n').multiply(2).alias('twice'));
    const q2 = await words.writeStream.format('memory').queryName('words').start();
    events.addData({ word: 'a', n: 1 }, { word: 'b', n: 2 });
    await q2.processAllAvailable();
    expect(spark.table('words').collect()).toEqual([{ word: 'a', twice: 2 }, { word: 'b', twice: 4 }]);
    expect(events.toDF().columns).toEqual(['word', 'n']);
  });
});
