/**
 * A path that is a file: spark.read reads that one file, as Spark's InMemoryFileIndex (the file is
 * its one leaf, no partition discovery); readStream fails the query, as Spark 3.5's streaming file
 * source does ("Option 'basePath' must be a directory": it takes a directory or a glob).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { session, tempDir } from './helpers.js';

describe('spark.read of a path that is a file', () => {
  it('json reads that file only, not its neighbours', async () => {
    const dir = tempDir();
    const file = join(dir, 'static.json');
    writeFileSync(file, '{"k":"a","name":"Alpha"}\n{"k":"b","name":"Beta"}\n');
    writeFileSync(join(dir, 'other.json'), '{"k":"c","name":"Gamma"}\n');
    const df = await session().read.schema('k STRING, name STRING').json(file);
    expect(df.collect()).toEqual([{ k: 'a', name: 'Alpha' }, { k: 'b', name: 'Beta' }]);
  });

  it('csv and text read a file in a key=value folder without partition columns', async () => {
    const dir = join(tempDir(), 'day=1');
    mkdirSync(dir);
    const file = join(dir, 'part.csv');
    writeFileSync(file, 'a,1\nb,2\n');
    const spark = session();
    const csv = await spark.read.schema('k STRING, v INT').csv(file);
    expect(csv.columns).toEqual(['k', 'v']);
    expect(csv.collect()).toEqual([{ k: 'a', v: 1 }, { k: 'b', v: 2 }]);
    expect((await spark.read.text(file)).collect()).toEqual([{ value: 'a,1' }, { value: 'b,2' }]);
  });
});

describe('readStream of a path that is a file', () => {
  it('fails the query as Spark\'s streaming file source does', async () => {
    const file = join(tempDir(), 'static.json');
    writeFileSync(file, '{"k":"a"}\n');
    const spark = session();
    const q = spark.readStream.schema('k STRING').json(file).writeStream.format('memory').queryName('single_file').start();
    await expect(q.processAllAvailable()).rejects.toThrow("Option 'basePath' must be a directory");
  });
});
