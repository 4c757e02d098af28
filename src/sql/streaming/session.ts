/** What the streaming writer needs from the session (kept narrow: SparkSession imports the writer). */
import type { Clock } from '../../context/Clock.js';
import type { DataFrame } from '../DataFrame.js';
import type { OutputModeName, Sink } from '../sinks/Sink.js';
import type { StructType } from '../types.js';
import type { Row } from '../values.js';
import type { StreamingQueryManager } from './StreamingQueryManager.js';

export interface SinkArgs {
  options: Record<string, string>;
  queryName: string | null;
  schema: StructType;
  mode: OutputModeName;
  checkpointLocation: string | undefined;
  /** The query's id: kept in its checkpointLocation across restarts, new for a new location. */
  queryId: string;
  /** The grouping columns of the query's aggregation (the key of an update-mode table). */
  keyColumns?: string[];
}

export type SinkFactory = (args: SinkArgs) => Sink | Promise<Sink>;

export interface RuntimeConf {
  get(key: string, defaultValue?: string): string | undefined;
  set(key: string, value: string | number | boolean): void;
}

export interface StreamingSession {
  readonly appName: string;
  readonly clock: Clock;
  readonly conf: RuntimeConf;
  readonly streams: StreamingQueryManager;
  sinkFactory(format: string): SinkFactory | undefined;
  /** A static DataFrame over a batch's rows (foreachBatch). */
  batchFrame(rows: Row[], schema: StructType): DataFrame;
}
