/**
 * CSV records are lines by default, as Spark's `multiLine=false`: a stray opening quote takes the
 * rest of its line only (before, it swallowed the rest of the file into one field and every later
 * record was lost). With `multiLine: true` a quoted field spans lines — how a file the CSV sink
 * wrote with a line break in a value reads back — and a quote still open at the end of the file
 * makes a malformed record.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStream } from '../../src/sql/index.js';
import { session, tempDir } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a stray quote in a CSV file', () => {
  it('streaming: a 1000-line file whose line 2 is `2,"b` gives 1000 rows; the quote takes the rest of line 2', async () => {
    const spark = session();
    const dir = tempDir();
    const lines = Array.from({ length: 1000 }, (_, i) => `${i + 1},n${i + 1}`);
    lines[1] = '2,"b';
    writeFileSync(join(dir, 'a.csv'), lines.join('\n') + '\n');
    const q = spark.readStream.schema('id INT, name STRING').csv(dir).writeStream.format('memory').queryName('stray').start();
    await q.processAllAvailable();
    const rows = spark.table('stray').collect();
    expect(rows).toHaveLength(1000);
    expect(rows.slice(0, 3)).toEqual([
      { id: 1, name: 'n1' },
      { id: 2, name: 'b' },
      { id: 3, name: 'n3' },
    ]);
    expect(rows[999]).toEqual({ id: 1000, name: 'n1000' });
    await q.stop();
  });

  it('spark.read: an open quote on the last line (no line break after it) is that line\'s field, not malformed', async () => {
    const spark = session();
    const dir = tempDir();
    writeFileSync(join(dir, 'a.csv'), '1,"a\r\n2,"b,c"\r\n3,"x');
    const rows = (await spark.read.schema('id INT, name STRING').option('mode', 'FAILFAST').csv(dir)).collect();
    expect(rows).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b,c' },
      { id: 3, name: 'x' },
    ]);
  });
});

describe('multiLine CSV', () => {
  it('a quoted field holds line breaks; a quote open at the end of the file is a malformed record (its text in _corrupt_record)', async () => {
    const spark = session();
    const dir = tempDir();
    writeFileSync(join(dir, 'a.csv'), '1,"two\nlines"\n2,"x\n3,y\n');
    const read = (mode: string) =>
      spark.read.schema('id INT, name STRING, _corrupt_record STRING').option('multiLine', true).option('mode', mode).csv(dir).then((df) => df.collect());
    expect(await read('PERMISSIVE')).toEqual([
      { id: 1, name: 'two\nlines', _corrupt_record: null },
      { id: 2, name: 'x\n3,y\n', _corrupt_record: '2,"x\n3,y\n' },
    ]);
    expect(await read('DROPMALFORMED')).toEqual([{ id: 1, name: 'two\nlines', _corrupt_record: null }]);
    await expect(read('FAILFAST')).rejects.toThrow(/MALFORMED_RECORD_IN_PARSING/);
    // Without multiLine the same file is four lines, none lost.
    expect((await spark.read.schema('id INT, name STRING').csv(dir)).collect()).toEqual([
      { id: 1, name: 'two' },
      { id: null, name: null },
      { id: 2, name: 'x' },
      { id: 3, name: 'y' },
    ]);
  });

  it('the CSV sink quotes a value with a line break: read back with multiLine it round-trips; without, each line is a record (as Spark)', async () => {
    const spark = session();
    const out = tempDir();
    const input = new MemoryStream<{ id: number; note: string }>(spark, 'id INT, note STRING');
    const q = input.toDF().writeStream.format('csv').option('header', true).option('checkpointLocation', tempDir()).start(out);
    input.addData({ id: 1, note: 'first\nsecond' }, { id: 2, note: 'say "hi", then go' });
    await q.processAllAvailable();
    await q.stop();
    const back = await spark.read.schema('id INT, note STRING').option('header', true).option('multiLine', true).csv(out);
    expect(back.collect()).toEqual([
      { id: 1, note: 'first\nsecond' },
      { id: 2, note: 'say "hi", then go' },
    ]);
    const lines = await spark.read.schema('id INT, note STRING').option('header', true).csv(out);
    expect(lines.collect()).toEqual([
      { id: 1, note: 'first' },
      { id: null, note: null },
      { id: 2, note: 'say "hi", then go' },
    ]);
  });
});
