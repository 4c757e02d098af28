import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/context/Clock.js';
import { MemoryStream, SparkSession, StreamingQuery, StreamingQueryException, functions as F } from '../../src/sql/index.js';
import { CheckpointStore } from '../../src/checkpoint/index.js';
import { timeStringAsSec, valueAtSecond } from '../../src/sql/sources/rate.js';
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
      // The id is kept across restarts from the same checkpoint (through foreachBatch: a memory
      // sink in append mode does not resume, as in Spark).
      const again = input.toDF().writeStream.foreachBatch(() => undefined).queryName('now').option('checkpointLocation', location).start();
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
      // Until the failed write has ended the query (a fixed 100 ms was too short on a loaded machine).
      for (const t0 = Date.now(); q.isActive && Date.now() - t0 < 10_000; ) await new Promise((r) => setTimeout(r, 10));
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

  it('a listener that throws is logged, as Spark\'s ListenerBus: onQueryStarted does not fail start(), onQueryTerminated lets awaitAnyTermination settle', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const spark = new SparkSession({ clock: new ManualClock() });
    try {
      const input = new MemoryStream<string>(spark, 'string');
      // Active when its listeners hear of it, as in Spark.
      const activeAtStart: boolean[] = [];
      spark.streams.addListener({ onQueryStarted: (e) => void activeAtStart.push(spark.streams.get(e.id) !== undefined) });
      const startedListener = { onQueryStarted: () => { throw new Error('started-listener bug'); } };
      spark.streams.addListener(startedListener);
      const first = input.toDF().writeStream.queryName('leaky').foreachBatch(() => undefined).start();
      expect(spark.streams.active).toEqual([first]);
      expect(activeAtStart).toEqual([true]);
      expect(errors.mock.calls.some(([m, e]) => /Listener StreamingQueryListener threw an exception/.test(String(m)) && /started-listener bug/.test(String(e)))).toBe(true);
      await first.stop();
      spark.streams.resetTerminated();
      spark.streams.removeListener(startedListener);
      // The name is free again.
      spark.streams.addListener({ onQueryTerminated: () => { throw new Error('terminated-listener bug'); } });
      const q = await input.toDF().writeStream.queryName('leaky').foreachBatch(() => { throw new Error('user fn failed'); }).start();
      const any = spark.streams.awaitAnyTermination();
      input.addData('x');
      await expect(q.processAllAvailable()).rejects.toThrow(/user fn failed/);
      await expect(any).rejects.toThrow(/user fn failed/);
      expect(q.isActive).toBe(false);
      expect(errors.mock.calls.some(([, e]) => /terminated-listener bug/.test(String(e)))).toBe(true);
    } finally {
      await spark.stop().catch(() => undefined);
      errors.mockRestore();
    }
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
    expect(() => w.trigger({ processingTime: 'soon' })).toThrow("Error parsing 'soon' to interval, unrecognized number 'soon'");
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

  it('the rate source ramps up as Spark\'s valueAtSecond: rampUpTime 4s, rowsPerSecond 10 emits 2 4 6 8 then 10 rows a second, each batch spread over its seconds', async () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((s) => valueAtSecond(s, 10, 4))).toEqual([0, 2, 6, 12, 20, 30, 40]);
    expect([0, 1, 2, 3].map((s) => valueAtSecond(s, 10, 0))).toEqual([0, 10, 20, 30]);
    // 10 / (20 + 1) rounds down to no speed-up at all: Spark's rows stay at 0 until the ramp-up ends.
    expect([1, 20, 21, 22].map((s) => valueAtSecond(s, 10, 20))).toEqual([0, 0, 10, 20]);
    const clock = new ManualClock(0);
    const spark = new SparkSession({ clock });
    try {
      const rate = spark.readStream.format('rate').option('rowsPerSecond', 10).option('rampUpTime', '4s').option('numPartitions', 3).load();
      const batches: { value: number; ms: number }[][] = [];
      const q = await rate.writeStream
        .trigger({ processingTime: '1 second' })
        .foreachBatch((df) => {
          batches.push(df.collect().map((r) => ({ value: r.value as number, ms: (r.timestamp as Date).getTime() })));
        })
        .start();
      for (let s = 1; s <= 4; s++) {
        await clock.advance(1000);
        await q.processAllAvailable();
      }
      expect(batches.map((b) => b.length)).toEqual([2, 4, 6, 8]);
      expect(batches.flat().map((r) => r.value)).toEqual([...Array(20).keys()]);
      expect(batches[0]).toEqual([{ value: 0, ms: 0 }, { value: 1, ms: 500 }]);
      expect(batches[1]!.map((r) => r.ms)).toEqual([1000, 1250, 1500, 1750]);
      // 6 values in second 3: 1000/6 ms apart, rounded as Spark's math.round.
      expect(batches[2]!.map((r) => r.ms)).toEqual([2000, 2167, 2333, 2500, 2667, 2833]);
      expect(batches[3]!.map((r) => r.ms)).toEqual([3000, 3125, 3250, 3375, 3500, 3625, 3750, 3875]);
      // Past the ramp-up a trigger over two seconds reads 20 rows (seconds 5 and 6: 10 a second), 100 ms apart.
      await clock.advance(2000);
      await q.processAllAvailable();
      expect(batches.length).toBe(5);
      expect(batches[4]!.map((r) => r.value)).toEqual([...Array(20).keys()].map((i) => 20 + i));
      expect(batches[4]!.map((r) => r.ms)).toEqual([...Array(20).keys()].map((i) => 4000 + 100 * i));
      // Half a second more is no new whole second: no batch (Spark's offsets are whole seconds).
      await clock.advance(500);
      await q.processAllAvailable();
      expect(batches.length).toBe(5);
      expect(q.lastProgress?.sources[0]?.description).toBe('RateStreamV2[rowsPerSecond=10, rampUpTimeSeconds=4, numPartitions=3');
      expect(q.lastProgress?.sources[0]?.endOffset).toEqual({ start: 0, seconds: 6 });
      await q.stop();
    } finally {
      await spark.stop();
    }
  });

  it('the rate source resumes its ramp-up from a checkpoint, and availableNow reads the whole seconds there when it started', async () => {
    const clock = new ManualClock(0);
    const spark = new SparkSession({ clock });
    const location = tempDir();
    try {
      const rate = () => spark.readStream.format('rate').option('rowsPerSecond', 6).option('rampUpTime', 2).load();
      const q = await rate().writeStream.format('memory').queryName('ramp').option('checkpointLocation', location).trigger({ processingTime: '1 second' }).start();
      await clock.advance(1000);
      await q.processAllAvailable();
      // delta 6 / 3 = 2: seconds 0..4 end at 0 2 6 12 18.
      expect(spark.table('ramp').collect().map((r) => r.value)).toEqual([0, 1]);
      await q.stop();
      await clock.advance(2500); // second 3.5 on the first run's time line
      const seen: { value: number; ms: number }[][] = [];
      const again = await rate()
        .writeStream.trigger({ availableNow: true })
        .option('checkpointLocation', location)
        .foreachBatch((df) => {
          seen.push(df.collect().map((r) => ({ value: r.value as number, ms: (r.timestamp as Date).getTime() })));
        })
        .start();
      expect(await again.awaitTermination(10_000)).toBe(true);
      expect(again.exception()).toBeNull();
      // Seconds 1..3: values 2..11 spread over 2000 ms; the half second after waits for the next run.
      expect(seen).toHaveLength(1);
      expect(seen[0]!.map((r) => r.value)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(seen[0]!.map((r) => r.ms)).toEqual([1000, 1200, 1400, 1600, 1800, 2000, 2200, 2400, 2600, 2800]);
    } finally {
      await spark.stop();
    }
  });

  it('the rate source checks its options at load() with Spark\'s messages; rampUpTime is a time string in seconds', () => {
    const spark = session();
    const load = (opts: Record<string, string | number>) => () => spark.readStream.format('rate').options(opts).load();
    expect(load({ rowsPerSecond: 0 })).toThrow("Invalid value '0'. The option 'rowsPerSecond' must be positive");
    expect(load({ rowsPerSecond: -3 })).toThrow("Invalid value '-3'. The option 'rowsPerSecond' must be positive");
    expect(load({ rowsPerSecond: 1.5 })).toThrow(`Invalid value '1.5'. The option 'rowsPerSecond' must be a positive whole number (For input string: "1.5")`);
    expect(load({ rowsPerSecond: 'ten' })).toThrow("Invalid value 'ten'. The option 'rowsPerSecond' must be a positive whole number");
    expect(load({ rampUpTime: 'banana' })).toThrow(
      "Invalid value 'banana' for the option 'rampUpTime'. Time must be specified as seconds (s), milliseconds (ms), microseconds (us), minutes (m or min), hour (h), or day (d). E.g. 50s, 100ms, or 250us.\nFailed to parse time string: banana",
    );
    expect(load({ rampUpTime: '5 weeks' })).toThrow(/option 'rampUpTime'.*\nFailed to parse time string: 5 weeks/s);
    expect(load({ rampUpTime: '5w' })).toThrow(/option 'rampUpTime'.*\nInvalid suffix: "w"/s);
    expect(load({ rampUpTime: '5constructor' })).toThrow(/Invalid suffix: "constructor"/);
    expect(load({ rampUpTime: '1.5s' })).toThrow(/Failed to parse time string: 1.5s/);
    expect(load({ rampUpTime: '-2s' })).toThrow("Invalid value '-2'. The option 'rampUpTime' must not be negative");
    expect(load({ numPartitions: 0 })).toThrow("Invalid value '0'. The option 'numPartitions' must be positive");
    expect(load({ numPartitions: 2.5 })).toThrow("Invalid value '2.5'. The option 'numPartitions' must be a positive whole number");
    expect(load({ numPartitions: 2 ** 31 })).toThrow(`Invalid value '2147483648'. The option 'numPartitions' must be a positive whole number`);
    expect(['5s', '2m', '3min', '1h', '1d', '7', ' 10S ', '1500ms', '999ms', '2500000us', '0s'].map(timeStringAsSec)).toEqual([5, 120, 180, 3600, 86_400, 7, 10, 1, 0, 2, 0]);
    const described = (opts: Record<string, string | number>) => spark.readStream.format('rate').options(opts).load();
    expect(described({}).isStreaming).toBe(true);
    expect(() => described({ rowsPerSecond: '+7', rampUpTime: '2m', numPartitions: 4 })).not.toThrow();
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

describe('a source restarted from its checkpointLocation', () => {
  it('the socket source numbers its lines after the ones the checkpoint committed: lines sent after a restart are all read, once', async () => {
    const sockets: Socket[] = [];
    let send = 'a\nb\nc\n';
    const server: Server = createServer((s) => {
      sockets.push(s);
      s.write(send);
    });
    const port = await listenBelowEphemeral(server);
    const checkpoint = tempDir();
    const out = tempDir();
    const run = async (): Promise<void> => {
      const spark = session();
      try {
        const q = spark.readStream.format('socket').option('host', '127.0.0.1').option('port', port).load()
          .writeStream.format('json').option('path', out).option('checkpointLocation', checkpoint).start();
        for (let i = 0; i < 100 && q.recentProgress.reduce((n, p) => n + p.numInputRows, 0) < 3; i++) {
          await q.processAllAvailable();
          await new Promise((r) => setTimeout(r, 20));
        }
        await q.stop();
      } finally {
        await spark.stop();
      }
    };
    try {
      await run();
      send = 'd\ne\nf\n';
      await run();
      const spark = session();
      const rows = (await spark.read.schema('value STRING').json(out)).collect().map((r) => r.value as string).sort();
      expect(rows).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
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
