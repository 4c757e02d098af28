export {
  PostgresSink,
  type AlongsideWrite,
  type WriteBatchOptions,
} from './sink.js';
export {
  DEFAULT_METHOD,
  MAX_BIND_PARAMETERS,
  DEFAULT_INSERT_CHUNK_ROWS,
  type PostgresSinkOptions,
  type OutputMode,
  type WriteMethod,
  type BatchInfo,
  type WriteBatchResult,
  type SinkOffsetRange,
  type CollectableRDD,
  type WriterOptions,
  type OffsetCheck,
} from './options.js';
export { resolveConnectionConfig, type PostgresConnectionOptions } from './config.js';
export { PostgresSinkError, isTransientError, sqlStateOf, type PostgresSinkErrorInfo } from './errors.js';
export { quoteIdent, qualifiedName, type TableRef } from './identifiers.js';
export { csvLine, copyText } from './copy.js';
export type { SinkRow } from './rows.js';
export { PostgresTables, type RowOf, type TableRows, type WriteTablesResult } from './tables.js';
export type { TableDamage } from './guard.js';
export type { RetryOptions, RetryEvent } from './retry.js';
