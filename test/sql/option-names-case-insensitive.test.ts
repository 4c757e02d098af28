/**
 * Reader and writer option names are case-insensitive, as Spark's (CaseInsensitiveMap):
 * `checkpointlocation`, `maxfilespertrigger`, `PATH` are the documented options; values keep
 * their case; the last setting of a key wins, whatever case it was given in.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caseInsensitiveOptions } from '../../src/sql/streaming/options.js';
import { session, tempDir } from './helpers.js';

function filesDir(base: string, name: string, n: number): string {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `f${i}.txt`), `a\nb\n`);
  return dir;
}

describe('option names are case-insensitive', () => {
  it("writer: 'checkpointlocation' is checkpointLocation (a restart resumes); reader: 'maxfilespertrigger' limits each batch", async () => {
    const spark = session();
    const base = tempDir();
    const input = filesDir(base, 'In', 3);
    const ck = join(base, 'Checkpoint');
    const run = async () => {
      const batches: [number, string][] = [];
      const q = spark.readStream
        .format('text')
        .option('maxfilespertrigger', 1)
        .load(input)
        .groupBy('value')
        .count()
        .writeStream.outputMode('update')
        .option('checkpointlocation', ck)
        .foreachBatch((df, id) => void batches.push([id, df.collect().map((r) => `${String(r.value)}=${String(r.count)}`).sort().join(',')]))
        .start();
      await q.processAllAvailable();
      await q.stop();
      return batches;
    };
    expect(await run()).toEqual([
      [0, 'a=1,b=1'],
      [1, 'a=2,b=2'],
      [2, 'a=3,b=3'],
    ]);
    // The value keeps its case: the checkpoint is where it was named.
    expect(existsSync(join(ck, 'metadata'))).toBe(true);
    // A restart from it has nothing new to read.
    expect(await run()).toEqual([]);
  });

  it("reader: a path given as option('PATH', …); the last setting of a key wins whatever its case", async () => {
    const spark = session();
    const base = tempDir();
    const input = filesDir(base, 'Data', 2);
    const q = spark.readStream
      .format('text')
      .option('PATH', input)
      .option('maxFilesPerTrigger', 5)
      .option('MAXFILESPERTRIGGER', 1)
      .load()
      .writeStream.format('memory')
      .queryName('cased')
      .start();
    await q.processAllAvailable();
    expect(q.recentProgress.map((p) => p.numInputRows)).toEqual([2, 2]);
    expect(spark.table('cased').count()).toBe(4);
    await q.stop();
  });

  it('the options map: lookups ignore case, keys are listed once as last given, values keep their case', () => {
    const o = caseInsensitiveOptions({ startingOffsets: 'Earliest' });
    expect(o.startingoffsets).toBe('Earliest');
    expect('STARTINGOFFSETS' in o).toBe(true);
    expect(Object.hasOwn(o, 'StartingOffsets')).toBe(true);
    o.STARTINGOFFSETS = 'latest';
    expect(Object.entries(o)).toEqual([['STARTINGOFFSETS', 'latest']]);
    expect(o.startingOffsets).toBe('latest');
    o['kafka.Bootstrap.Servers'] = 'h:1';
    expect(o['kafka.bootstrap.servers']).toBe('h:1');
    expect(caseInsensitiveOptions(o).StartingOffsets).toBe('latest');
    delete o.startingoffsets;
    expect(o.startingOffsets).toBeUndefined();
    expect(Object.keys(o)).toEqual(['kafka.Bootstrap.Servers']);
  });
});
