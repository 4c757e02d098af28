/**
 * The file source reads a glob path, as Spark's (`/tmp/trips/*.csv`): each trigger lists what the
 * glob matches then — a matched file is read, a matched directory gives its files. The matcher is
 * textFileStream's (receivers/glob.ts).
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { session, tempDir } from './helpers.js';

function write(path: string, text: string, secondsAgo = 0): void {
  writeFileSync(path, text);
  const t = Date.now() / 1000 - secondsAgo;
  utimesSync(path, t, t);
}

describe('file source glob paths', () => {
  it('`in/*.txt` reads the .txt files only, and a matching file added later at the next trigger', async () => {
    const spark = session();
    const base = tempDir();
    mkdirSync(join(base, 'in'));
    write(join(base, 'in', 'a.txt'), 'x\n', 20);
    write(join(base, 'in', 'b.log'), 'y\n', 10);
    const q = spark.readStream.text(join(base, 'in', '*.txt')).writeStream.format('memory').queryName('g').start();
    await q.processAllAvailable();
    expect(spark.table('g').collect()).toEqual([{ value: 'x' }]);
    write(join(base, 'in', 'c.txt'), 'z\n');
    write(join(base, 'in', 'd.log'), 'w\n');
    await q.processAllAvailable();
    expect(spark.table('g').collect()).toEqual([{ value: 'x' }, { value: 'z' }]);
    expect(q.exception()).toBeNull();
    await q.stop();
  });

  it('a glob over directories (`{2017,2018}/*`, `days/*`): files of every directory matched, with csv; one that matches nothing yet is accepted', async () => {
    const spark = session();
    const base = tempDir();
    for (const d of ['2017', '2018', '2019']) mkdirSync(join(base, d));
    write(join(base, '2017', 'trips.csv'), '1,a\n', 30);
    write(join(base, '2018', 'trips.csv'), '2,b\n', 20);
    write(join(base, '2019', 'trips.csv'), '3,c\n', 10);
    const q = spark.readStream
      .schema('id INT, name STRING')
      .csv(join(base, '{2017,2018}', '*.csv'))
      .writeStream.format('memory')
      .queryName('trips')
      .start();
    await q.processAllAvailable();
    expect(spark.table('trips').collect()).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
    const later = spark.readStream.text(join(base, 'days', '*')).writeStream.format('memory').queryName('days').start();
    await later.processAllAvailable();
    expect(spark.table('days').count()).toBe(0);
    mkdirSync(join(base, 'days', 'mon'), { recursive: true });
    write(join(base, 'days', 'mon', 'part-0'), 'm\n');
    write(join(base, 'days', 'tue'), 't\n');
    await later.processAllAvailable();
    expect(spark.table('days').collect().map((r) => r.value).sort()).toEqual(['m', 't']);
    expect([q.exception(), later.exception()]).toEqual([null, null]);
    await q.stop();
    await later.stop();
  });

  it('a path without glob characters must still exist at load()', () => {
    const spark = session();
    expect(() => spark.readStream.text(join(tempDir(), 'missing'))).toThrow(/Path does not exist/);
  });
});
