/**
 * The CSV sink takes what Spark's CSVFileFormat.supportDataType takes: atomic types but binary, no
 * arrays or structs. Spark 3.5.1 fails the query's first batch with
 * "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The CSV datasource doesn't support the column `key` of
 * the type "BINARY"."; start() refuses it here, as the sink's other schema checks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStream, functions as F } from '../../src/sql/index.js';
import { session, tempDir } from './helpers.js';

describe('csv sink column types', () => {
  it('a binary column (Kafka rows\' key and value) is refused at start()', () => {
    const spark = session();
    const input = new MemoryStream<{ key: Buffer; n: number }>(spark, 'key BINARY, n INT');
    const base = tempDir();
    expect(() => input.toDF().writeStream.format('csv').option('checkpointLocation', join(base, 'ck')).start(join(base, 'out'))).toThrow(
      '[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The CSV datasource doesn\'t support the column `key` of the type "BINARY".',
    );
    expect(spark.streams.active).toEqual([]);
  });

  it('arrays and structs too; json takes them; atomic columns go to csv', async () => {
    const spark = session();
    const input = new MemoryStream<{ s: string; n: number }>(spark, 's STRING, n INT');
    const base = tempDir();
    const words = input.toDF().select(F.split(F.col('s'), ' ').alias('words'));
    expect(() => words.writeStream.format('csv').option('checkpointLocation', join(base, 'ck1')).start(join(base, 'o1'))).toThrow(
      'The CSV datasource doesn\'t support the column `words` of the type "ARRAY<STRING>".',
    );
    const nested = input.toDF().select(F.from_json(F.col('s'), 'n INT').alias('st'));
    expect(() => nested.writeStream.format('csv').option('checkpointLocation', join(base, 'ck2')).start(join(base, 'o2'))).toThrow(/column `st` of the type "STRUCT<n: INT>"/);
    const q = input.toDF().writeStream.format('csv').option('checkpointLocation', join(base, 'ck3')).start(join(base, 'o3'));
    input.addData({ s: 'a b', n: 1 });
    await q.processAllAvailable();
    const part = readdirSync(join(base, 'o3')).find((f) => f.startsWith('part'))!;
    expect(readFileSync(join(base, 'o3', part), 'utf8')).toBe('a b,1\n');
    await q.stop();
  });
});
