/** File sources and the file sink with its manifest (vectors after Spark's FileStreamSinkSuite / FileStreamSourceSuite). */
import { mkdirSync, readFileSync, readdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStream, StructType, functions as F } from '../../src/sql/index.js';
import { FileSink } from '../../src/sql/sinks/file.js';
import { collecting, session, sortTuples, tempDir } from './helpers.js';

/** Writes a file elsewhere and moves it in (files must appear complete). */
function drop(dir: string, name: string, text: string): void {
  const tmp = join(dir, '..', `${name}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, name));
}

describe('file sink', () => {
  it('unpartitioned writing and batch reading (json)', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const out = tempDir();
    const cp = tempDir();
    const q = await input.toDF().writeStream.format('json').option('checkpointLocation', cp).start(out);
    input.addData(1, 2, 3);
    await q.processAllAvailable();
    const back = await spark.read.schema('value INT').json(out);
    expect(back.collect().map((r) => r.value).sort()).toEqual([1, 2, 3]);
    expect(readdirSync(join(out, '_spark_metadata'))).toEqual(['0']);
  });

  it('writing an aggregation with a watermark in append mode (csv, header)', async () => {
    const spark = session();
    const input = new MemoryStream<{ time: number }>(spark, 'time LONG');
    const df = input
      .toDF()
      .selectExpr('CAST(time AS timestamp) AS timestamp')
      .withWatermark('timestamp', '10 seconds')
      .groupBy(F.window('timestamp', '5 seconds'))
      .count()
      .select(F.col('window.start').cast('long').alias('start'), F.col('window.end').cast('long').alias('end'), 'count');
    const out = tempDir();
    const q = await df.writeStream.format('csv').option('header', true).option('checkpointLocation', tempDir()).start(out);
    input.addData({ time: 100 }, { time: 101 }, { time: 104 });
    await q.processAllAvailable();
    input.addData({ time: 200 });
    await q.processAllAvailable();
    const back = await spark.read.schema('start LONG, end LONG, count LONG').option('header', true).csv(out);
    expect(back.collect()).toEqual([{ start: 100, end: 105, count: 3 }]);
  });

  it('a batch written again (the same id, after a crash) adds no file', async () => {
    const out = tempDir();
    const sink = new FileSink(out, 'text', {});
    await sink.open();
    const schema = new StructType().add('value', 'string');
    await sink.addBatch({ batchId: 0, rows: [{ value: 'a' }], schema, mode: 'append' });
    await sink.addBatch({ batchId: 0, rows: [{ value: 'a' }], schema, mode: 'append' });
    await sink.addBatch({ batchId: 1, rows: [{ value: 'b' }], schema, mode: 'append' });
    const files = readdirSync(out).filter((f) => f.startsWith('part-'));
    expect(files).toHaveLength(2);
    const spark = session();
    expect((await spark.read.text(out)).collect()).toEqual([{ value: 'a' }, { value: 'b' }]);
    // A part file that never made it into the manifest (a crash before the commit) is not data.
    writeFileSync(join(out, 'part-99999-orphan-c000.txt'), 'ghost\n');
    expect((await spark.read.text(out)).count()).toBe(2);
  });

  it('text sink needs one string column', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    expect(() => input.toDF().writeStream.format('text').option('checkpointLocation', tempDir()).start(tempDir())).toThrow(
      /Text data source supports only a single column of string type/,
    );
  });
});

describe('file sources', () => {
  it("Listing 7.11: csv with a schema built by .add(...), maxFilesPerTrigger, restart skips processed files", async () => {
    const spark = session();
    const dir = join(tempDir(), 'trips');
    mkdirSync(dir);
    const tripsSchema = new StructType().add('TripID', 'integer').add('StartStation', 'string').add('StartTerminal', 'integer');
    drop(dir, 'a.csv', '1,Paseo,7\n2,"Townsend, 7th",65\n');
    drop(dir, 'b.csv', '3,Paseo,7\n');
    const trips = spark.readStream.schema(tripsSchema).option('maxFilesPerTrigger', 1).csv(dir);
    expect(trips.isStreaming).toBe(true);
    const agg = trips.groupBy('StartTerminal', 'StartStation').agg({ '*': 'count' });
    const cp = tempDir();
    let q = await collecting(agg, 'complete', ['StartTerminal', 'StartStation', 'count(1)'], { checkpointLocation: cp });
    await q.query.processAllAvailable();
    expect(q.batches.map((b) => b.id)).toEqual([0, 1]);
    expect(sortTuples(q.batches[1]!.rows.map((r) => [r.StartTerminal, r.StartStation, r['count(1)']]))).toEqual(
      sortTuples([[7, 'Paseo', 2], [65, 'Townsend, 7th', 1]]),
    );
    expect(q.query.lastProgress!.sources[0]!.endOffset).toEqual({ files: ['a.csv', 'b.csv'] });
    await q.query.stop();
    drop(dir, 'c.csv', '4,Paseo,7\n');
    q = await collecting(agg, 'complete', ['StartTerminal', 'StartStation', 'count(1)'], { checkpointLocation: cp });
    await q.query.processAllAvailable();
    expect(q.batches).toHaveLength(1);
    expect(q.batches[0]!.id).toBe(2);
    expect(q.batches[0]!.rows.find((r) => r.StartStation === 'Paseo')!['count(1)']).toBe(3);
  });

  it('latestFirst reads a backlog newest first; a directory that does not exist fails when the source is defined', async () => {
    const spark = session();
    const dir = tempDir();
    const times = { 'old.txt': 1_000, 'mid.txt': 2_000, 'new.txt': 3_000 };
    for (const [name, s] of Object.entries(times)) {
      drop(dir, name, `${name}\n`);
      utimesSync(join(dir, name), s, s);
    }
    const read = async (latestFirst: boolean): Promise<string[][]> => {
      const q = await collecting(spark.readStream.option('maxFilesPerTrigger', 1).option('latestFirst', latestFirst).text(dir), 'append', ['value']);
      await q.query.processAllAvailable();
      await q.query.stop();
      return q.batches.map((b) => b.rows.map((r) => String(r.value)));
    };
    expect(await read(true)).toEqual([['new.txt'], ['mid.txt'], ['old.txt']]);
    expect(await read(false)).toEqual([['old.txt'], ['mid.txt'], ['new.txt']]);
    expect(() => spark.readStream.text(join(dir, 'no-such-dir'))).toThrow(`Path does not exist: ${join(dir, 'no-such-dir')}`);
    expect(() => spark.readStream.option('latestFirst', 'yes').text(dir)).toThrow(/'latestFirst', must be true or false/);
  });

  it('json needs a schema; text gives value; a file sink output is read through its manifest', async () => {
    const spark = session();
    const dir = tempDir();
    expect(() => spark.readStream.json(dir)).toThrow(/Schema must be specified/);
    drop(dir, 'x.txt', 'hello\nworld\n');
    const q = await spark.readStream.text(dir).writeStream.format('memory').queryName('lines').start();
    await q.processAllAvailable();
    expect(spark.table('lines').collect()).toEqual([{ value: 'hello' }, { value: 'world' }]);
    const json = tempDir();
    drop(json, 'r.json', '{"a": 1}\n{"a": "bad"}\nnot json\n');
    const q2 = await spark.readStream.schema('a INT').json(json).writeStream.format('memory').queryName('j').start();
    await q2.processAllAvailable();
    expect(spark.table('j').collect()).toEqual([{ a: 1 }, { a: null }, { a: null }]);
    expect(readFileSync(join(json, 'r.json'), 'utf8')).toContain('bad');
  });
});

describe('parquet (Listing 7.13)', () => {
  it('the file sink writes parquet; spark.read.parquet and readStream.parquet read it back, types kept', async () => {
    const spark = session();
    const input = new MemoryStream<{ id: number; name: string; at: Date; big: number; score: number | null }>(
      spark,
      'id INT, name STRING, at TIMESTAMP, big LONG, score DOUBLE',
    );
    const out = tempDir();
    const q = await input.toDF().writeStream.format('parquet').option('path', out).option('checkpointLocation', tempDir()).start();
    input.addData({ id: 1, name: 'a', at: new Date(1000), big: 2 ** 40, score: 1.5 }, { id: 2, name: 'é', at: new Date(2000), big: 7, score: null });
    await q.processAllAvailable();
    input.addData({ id: 3, name: 'c', at: new Date(3000), big: 1, score: 0 });
    await q.processAllAvailable();
    const back = await spark.read.parquet(out);
    expect(back.schema.simpleString()).toBe('struct<id:int,name:string,at:timestamp,big:bigint,score:double>');
    expect(back.orderBy('id').collect()).toEqual([
      { id: 1, name: 'a', at: new Date(1000), big: 2 ** 40, score: 1.5 },
      { id: 2, name: 'é', at: new Date(2000), big: 7, score: null },
      { id: 3, name: 'c', at: new Date(3000), big: 1, score: 0 },
    ]);
    const stream = spark.readStream.schema('id INT, name STRING').parquet(out);
    const q2 = await stream.writeStream.format('memory').queryName('pq').start();
    await q2.processAllAvailable();
    expect(spark.table('pq').count()).toBe(3);
  });
});
