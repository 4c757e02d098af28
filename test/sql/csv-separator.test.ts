/**
 * The CSV `sep` option as Spark's CSVExprUtils.toDelimiterStr reads it: an empty one is refused
 * where the options are given (it made the reader loop until it ran out of memory, and the writer
 * quote every field into one); an escape typed as two characters (`\t`) is the character it names;
 * a separator may be several characters.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStream } from '../../src/sql/index.js';
import { session, tempDir } from './helpers.js';

describe('the CSV separator', () => {
  it('an empty sep (or a lone backslash, or an unknown escape) is refused by readStream, spark.read and the CSV sink', async () => {
    const spark = session();
    const dir = tempDir();
    writeFileSync(join(dir, 'a.csv'), '1,2\n');
    expect(() => spark.readStream.schema('a INT, b STRING').option('sep', '').csv(dir)).toThrow('Delimiter cannot be empty string');
    await expect(spark.read.schema('a INT, b STRING').option('sep', '').csv(dir)).rejects.toThrow('Delimiter cannot be empty string');
    expect(() => spark.readStream.schema('a INT').option('sep', '\\').csv(dir)).toThrow(/Single backslash is prohibited/);
    expect(() => spark.readStream.schema('a INT').option('sep', '\\x').csv(dir)).toThrow('Unsupported special character for delimiter: \\x');
    const input = new MemoryStream<{ a: number; b: string }>(spark, 'a INT, b STRING');
    expect(() => input.toDF().writeStream.format('csv').option('sep', '').option('checkpointLocation', tempDir()).start(tempDir())).toThrow(
      'Delimiter cannot be empty string',
    );
  });

  it("'\\t' typed as two characters splits at tabs, and a separator of several characters splits and writes whole", async () => {
    const spark = session();
    const dir = tempDir();
    writeFileSync(join(dir, 'a.tsv'), '1\tx,y\n2\tz\n');
    const tabs = await spark.read.schema('a INT, b STRING').option('sep', '\\t').csv(dir);
    expect(tabs.collect()).toEqual([
      { a: 1, b: 'x,y' },
      { a: 2, b: 'z' },
    ]);
    const out = tempDir();
    const input = new MemoryStream<{ a: number; b: string }>(spark, 'a INT, b STRING');
    const q = input.toDF().writeStream.format('csv').option('sep', '||').option('checkpointLocation', tempDir()).start(out);
    input.addData({ a: 1, b: 'p|q' }, { a: 2, b: 'r' });
    await q.processAllAvailable();
    await q.stop();
    const written = readdirSync(out).filter((f) => f.endsWith('.csv')).map((f) => readFileSync(join(out, f), 'utf8')).join('');
    expect(written).toBe('1||p|q\n2||r\n');
    const back = await spark.read.schema('a INT, b STRING').option('sep', '||').csv(out);
    expect(back.collect()).toEqual([
      { a: 1, b: 'p|q' },
      { a: 2, b: 'r' },
    ]);
  });
});
