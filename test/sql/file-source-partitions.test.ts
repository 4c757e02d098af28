/**
 * Partition discovery, as Spark's: readStream and spark.read read the files in folders `key=value`
 * below the directory, with the columns filled from the folder names (PartitioningUtils).
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { collecting, session, sortTuples, tempDir } from './helpers.js';

/** Writes `rel` below `dir`, its folders made, dated `secondsAgo` (the source reads oldest first). */
function put(dir: string, rel: string, text: string, secondsAgo = 0): void {
  const file = join(dir, rel);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  const t = Date.now() / 1000 - secondsAgo;
  utimesSync(file, t, t);
}

describe('file source partition discovery', () => {
  it('readStream and spark.read read the files in date=… folders, date filled from the folder name', async () => {
    const spark = session();
    const dir = join(tempDir(), 'in');
    put(dir, 'date=2024-01-01/a.json', '{"id":1}\n{"id":2}\n', 20);
    put(dir, 'date=2024-01-02/b.json', '{"id":3}\n', 10);
    const df = spark.readStream.schema('id INT, date STRING').json(dir);
    const q = await collecting(df, 'append', ['id', 'date']);
    expect(await q.newAnswer()).toEqual([
      [1, '2024-01-01'],
      [2, '2024-01-01'],
      [3, '2024-01-02'],
    ]);
    expect(q.query.exception()).toBeNull();
    await q.query.stop();
    const batch = await spark.read.schema('id INT, date STRING').json(dir);
    expect(sortTuples(batch.collect().map((r) => [r.id, r.date]))).toEqual([
      [1, '2024-01-01'],
      [2, '2024-01-01'],
      [3, '2024-01-02'],
    ]);
  });

  it('columns not in the schema are added at its end with an inferred type; nested levels, escaped values, the default partition as null', async () => {
    const spark = session();
    const dir = join(tempDir(), 'in');
    put(dir, 'day=2024-01-01/hour=01/city=New%20York/a.csv', '1\n');
    put(dir, 'day=2024-01-02/hour=13/city=__HIVE_DEFAULT_PARTITION__/b.csv', '2\n');
    const df = await spark.read.schema('id INT').csv(dir);
    expect(df.schema.simpleString()).toBe('struct<id:int,day:date,hour:int,city:string>');
    const rows = df.collect().map((r) => [r.id, (r.day as Date).toISOString().slice(0, 10), r.hour, r.city]);
    expect(sortTuples(rows)).toEqual([
      [1, '2024-01-01', 1, 'New York'],
      [2, '2024-01-02', 13, null],
    ]);
    const stream = spark.readStream.schema('id INT').csv(dir);
    expect(stream.schema.simpleString()).toBe('struct<id:int,day:date,hour:int,city:string>');
  });

  it("a partition column in the schema takes the schema's type (the value is cast), placed after the data columns; a value that does not cast fails", async () => {
    const spark = session();
    const dir = join(tempDir(), 'in');
    put(dir, 'n=7/a.json', '{"id":1,"n":99}\n');
    const df = await spark.read.schema('n LONG, id INT').json(dir);
    expect(df.schema.simpleString()).toBe('struct<id:int,n:bigint>');
    expect(df.collect()).toEqual([{ id: 1, n: 7 }]);
    put(dir, 'n=abc/b.json', '{"id":2}\n');
    await expect(spark.read.schema('n LONG, id INT').json(dir)).rejects.toThrow('Failed to cast value `abc` to `LongType` for partition column `n`');
  });

  it('a plain folder beside key=value folders fails naming both paths (Conflicting directory structures), when defined or at the trigger it appears', async () => {
    const spark = session();
    const dir = join(tempDir(), 'in');
    put(dir, 'date=2024-01-01/a.json', '{"id":1}\n', 20);
    const df = spark.readStream.schema('id INT, date STRING').json(dir);
    const q = await collecting(df, 'append', ['id', 'date']);
    expect(await q.newAnswer()).toEqual([[1, '2024-01-01']]);
    put(dir, 'raw/b.json', '{"id":2}\n');
    await q.query.processAllAvailable().catch(() => undefined);
    const message = q.query.exception()?.message ?? '';
    expect(message).toContain('Conflicting directory structures detected');
    expect(message).toContain(join(dir, 'raw'));
    expect(() => spark.readStream.schema('id INT').json(dir)).toThrow(/Conflicting directory structures detected. Suspicious paths:\n\t.*in(\/raw)?\n/);
    await expect(spark.read.schema('id INT').json(dir)).rejects.toThrow('Conflicting directory structures detected');
  });

  it('folders with different column names fail (Conflicting partition column names)', async () => {
    const spark = session();
    const dir = join(tempDir(), 'in');
    put(dir, 'a=1/x.json', '{"id":1}\n');
    put(dir, 'b=2/y.json', '{"id":2}\n');
    await expect(spark.read.schema('id INT').json(dir)).rejects.toThrow(
      /Conflicting partition column names detected:\n\tPartition column name list #0: [ab]\n\tPartition column name list #1: [ab]/,
    );
  });

  it('files arriving later in new partition folders are read once each, across a restart with checkpointLocation', async () => {
    const spark = session();
    const dir = join(tempDir(), 'in');
    const cp = tempDir();
    put(dir, 'date=2024-01-01/a.json', '{"id":1}\n', 30);
    const df = spark.readStream.schema('id INT, date STRING').json(dir);
    let q = await collecting(df, 'append', ['id', 'date'], { checkpointLocation: cp });
    expect(await q.newAnswer()).toEqual([[1, '2024-01-01']]);
    put(dir, 'date=2024-01-02/b.json', '{"id":2}\n', 20);
    expect(await q.newAnswer()).toEqual([[2, '2024-01-02']]);
    expect(await q.newAnswer()).toEqual([]);
    expect(q.query.lastProgress!.sources[0]!.endOffset).toEqual({ files: ['date=2024-01-01/a.json', 'date=2024-01-02/b.json'] });
    await q.query.stop();
    put(dir, 'date=2024-01-03/c.json', '{"id":3}\n', 10);
    put(dir, 'date=2024-01-01/d.json', '{"id":4}\n');
    q = await collecting(spark.readStream.schema('id INT, date STRING').json(dir), 'append', ['id', 'date'], { checkpointLocation: cp });
    expect(await q.newAnswer()).toEqual([
      [3, '2024-01-03'],
      [4, '2024-01-01'],
    ]);
    expect(q.query.exception()).toBeNull();
    await q.query.stop();
  });

  it('a plain folder below a partition folder is read with its values; a file directly in a partitioned directory has null partition values', async () => {
    const spark = session();
    const dir = join(tempDir(), 'in');
    put(dir, 'date=2024-01-01/raw/a.json', '{"id":1}\n');
    put(dir, 'top.json', '{"id":2}\n');
    const df = await spark.read.schema('id INT, date STRING').json(dir);
    expect(sortTuples(df.collect().map((r) => [r.id, r.date]))).toEqual([
      [1, '2024-01-01'],
      [2, null],
    ]);
  });

  it('without key=value folders, files in a plain folder are not read (as Spark) but warned about; recursiveFileLookup reads them', async () => {
    const spark = session();
    const dir = join(tempDir(), 'in');
    put(dir, 'top.json', '{"id":1}\n');
    put(dir, 'raw/a.json', '{"id":2}\n');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const df = await spark.read.schema('id INT').json(dir);
      expect(df.collect()).toEqual([{ id: 1 }]);
      expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toContain(`the files in ${join(dir, 'raw')} are not read`);
    } finally {
      warn.mockRestore();
    }
    const all = await spark.read.schema('id INT').option('recursiveFileLookup', true).json(dir);
    expect(all.collect().map((r) => r.id).sort()).toEqual([1, 2]);
    const q = await collecting(spark.readStream.schema('id INT').option('recursiveFileLookup', 'true').json(dir), 'append', ['id']);
    expect(await q.newAnswer()).toEqual([[1], [2]]);
    await q.query.stop();
  });

  it('a later folder with a column the source does not have fails the query, naming the column', async () => {
    const spark = session();
    const dir = join(tempDir(), 'in');
    mkdirSync(dir);
    const q = await collecting(spark.readStream.schema('id INT').json(dir), 'append', ['id']);
    expect(await q.newAnswer()).toEqual([]);
    put(dir, 'date=2024-01-01/a.json', '{"id":1}\n');
    await q.query.processAllAvailable().catch(() => undefined);
    expect(q.query.exception()?.message).toContain('a folder has the partition column `date`, which is not in the source\'s schema');
  });
});
