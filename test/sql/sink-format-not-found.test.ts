/**
 * writeStream.format(...) is looked up first, as Spark's DataStreamWriter does
 * (DataSource.lookupDataSource before the checkpoint location and the output mode are checked): a
 * mistyped format is named as such, [DATA_SOURCE_NOT_FOUND], not reported as a missing
 * checkpointLocation; a source-only format cannot be written to.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisException, MemoryStream } from '../../src/sql/index.js';
import { session, tempDir } from './helpers.js';

const NOT_FOUND = '[DATA_SOURCE_NOT_FOUND] Failed to find the data source: consol. Please find packages at `https://spark.apache.org/third-party-projects.html`.';

describe('a sink format that does not exist', () => {
  it('fails with Spark\'s DATA_SOURCE_NOT_FOUND, with or without a checkpointLocation', () => {
    const spark = session();
    const df = new MemoryStream<string>(spark, 'string').toDF();
    expect(() => df.writeStream.format('consol').start()).toThrow(AnalysisException);
    expect(() => df.writeStream.format('consol').start()).toThrow(NOT_FOUND);
    expect(() => df.writeStream.format('consol').option('checkpointLocation', tempDir()).start()).toThrow(NOT_FOUND);
    spark.conf.set('spark.sql.streaming.checkpointLocation', tempDir());
    expect(() => df.writeStream.format('consol').start()).toThrow(NOT_FOUND);
    expect(spark.streams.active).toEqual([]);
  });

  it('is named before the output mode is checked, in the case it was given', () => {
    const spark = session();
    const df = new MemoryStream<string>(spark, 'string').toDF();
    expect(() => df.writeStream.format('Consol').outputMode('complete').start()).toThrow('Failed to find the data source: Consol.');
  });

  it('a source-only format is found but cannot be written to', () => {
    const spark = session();
    const df = new MemoryStream<string>(spark, 'string').toDF();
    expect(() => df.writeStream.format('rate').option('checkpointLocation', tempDir()).start()).toThrow('Data source rate does not support streamed writing');
  });
});
