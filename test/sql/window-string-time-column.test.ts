/**
 * window() on a string column: Spark's TimeWindow has ImplicitCastInputTypes, so the string is
 * cast to a timestamp; a string that does not parse is null, and its row gets no window (dropped,
 * as a row with a null time is). A column of another type (int) is still refused.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStream, functions as F, type Row } from '../../src/sql/index.js';
import { session } from './helpers.js';

const at = (r: Row) => (r.window as { start: Date }).start.toISOString();

describe('window over a string time column', () => {
  it('a streaming aggregation casts the strings; one that does not parse is dropped', async () => {
    const spark = session();
    const input = new MemoryStream<{ s: string | null }>(spark, 's STRING');
    const q = input.toDF().groupBy(F.window('s', '10 minutes')).count().writeStream.format('memory').queryName('ws').outputMode('complete').start();
    input.addData({ s: '2024-01-01 00:03:00' }, { s: '2024-01-01 00:09:59' }, { s: '2024-01-01 00:12:00' }, { s: '8/31/2015 23:26' }, { s: null });
    await q.processAllAvailable();
    const rows = spark.table('ws').collect().map((r) => [at(r), r.count]).sort();
    expect(rows).toEqual([
      ['2024-01-01T00:00:00.000Z', 2],
      ['2024-01-01T00:10:00.000Z', 1],
    ]);
  });

  it('a select of a tumbling or a sliding window drops the rows whose string does not parse', () => {
    const spark = session();
    const df = spark.createDataFrame([{ s: '2024-01-01 00:03:00' }, { s: 'soon' }], 's STRING');
    expect(df.select(F.window('s', '10 minutes')).collect().map(at)).toEqual(['2024-01-01T00:00:00.000Z']);
    expect(df.select(F.window('s', '10 minutes', '5 minutes')).collect().map(at).sort()).toEqual(['2023-12-31T23:55:00.000Z', '2024-01-01T00:00:00.000Z']);
  });

  it('an int column is still refused', () => {
    const spark = session();
    const df = spark.createDataFrame([{ i: 5 }], 'i INT');
    expect(() => df.groupBy(F.window('i', '10 minutes')).count()).toThrow('window: the time column i must be a timestamp, got int');
  });
});
