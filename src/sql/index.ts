/** Structured Streaming on the dstreams engine (API.md, "Structured Streaming"): the public names. */

export { SparkSession, type SparkSessionOptions } from './SparkSession.js';
export { DataFrame, GroupedData } from './DataFrame.js';
export { Column, type ColumnOrName, type ColumnOrValue } from './Column.js';
export * as functions from './functions.js';
export {
  DataType,
  StructType,
  StructField,
  StringType,
  IntegerType,
  LongType,
  DoubleType,
  FloatType,
  BooleanType,
  TimestampType,
  DateType,
  BinaryType,
  NullType,
  ArrayType,
  parseDDL,
  parseDataType,
} from './types.js';
export { MemoryStream } from './sources/MemoryStream.js';
export type { Source, SourceProvider, Offset } from './sources/Source.js';
export { StreamingQuery, type Trigger } from './streaming/StreamingQuery.js';
export { StreamingQueryManager, type StreamingQueryListener } from './streaming/StreamingQueryManager.js';
export type { StreamingQueryProgress, StreamingQueryStatus, SourceProgress, SinkProgress } from './streaming/progress.js';
export { DataFrameReader } from './DataFrameReader.js';
export { DataStreamReader } from './streaming/DataStreamReader.js';
export { DataStreamWriter, type ForeachBatchFunction } from './streaming/DataStreamWriter.js';
export { DataFrameWriter, type JdbcProperties, type SaveMode } from './DataFrameWriter.js';
export { AnalysisException, IllegalArgumentException, ParseException, StreamingQueryException } from './errors.js';
export type { Row } from './values.js';
export type { OutputModeName } from './sinks/Sink.js';
