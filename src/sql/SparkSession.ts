/**
 * The entry point of Structured Streaming (PySpark's SparkSession):
 * `SparkSession.builder.appName('x').getOrCreate()` or `new SparkSession({ appName, clock })`.
 * Holds the runtime conf, the memory sink's tables and temp views (`spark.table`, `spark.sql`),
 * `readStream`, `createDataFrame` and `spark.streams`.
 */
import { batchTimestamp } from './batchTimestamp.js';
import { SystemClock, type Clock } from '../context/Clock.js';
// The formats readStream/writeStream know register themselves.
import './sources/socket.js';
import './sources/rate.js';
import './sources/file.js';
import './sinks/file.js';
import './sinks/postgres.js';
import './sinks/jdbc.js';
import './sources/kafka.js';
import './sinks/kafka.js';
import { DataFrame, type DataFrameSession } from './DataFrame.js';
import { DataFrameReader } from './DataFrameReader.js';
// The writers attach df.write and df.writeStream.
import './DataFrameWriter.js';
import { AnalysisException } from './errors.js';
import { StaticScan } from './plan.js';
import { sinkFactories } from './sinks/registry.js';
import { MemoryTable } from './sinks/memory.js';
import { runSql } from './sql.js';
import { DataStreamReader } from './streaming/DataStreamReader.js';
import './streaming/DataStreamWriter.js';
import type { RuntimeConf, SinkFactory, StreamingSession } from './streaming/session.js';
import { StreamingQueryManager } from './streaming/StreamingQueryManager.js';
import { inferSchema, StructType, toSchema } from './types.js';
import { castValue, type Row } from './values.js';

export interface SparkSessionOptions {
  appName?: string;
  /** Drives processingTime triggers, the rate source and current_timestamp (a ManualClock for tests). */
  clock?: Clock;
  config?: Record<string, string | number | boolean>;
}

class Conf implements RuntimeConf {
  private readonly values = new Map<string, string>();
  get(key: string, defaultValue?: string): string | undefined {
    return this.values.get(key) ?? defaultValue;
  }
  set(key: string, value: string | number | boolean): void {
    this.values.set(key, String(value));
  }
  unset(key: string): void {
    this.values.delete(key);
  }
}

class Builder {
  private opts: SparkSessionOptions = { config: {} };
  appName(name: string): this {
    this.opts.appName = name;
    return this;
  }
  master(_master: string): this {
    return this;
  }
  config(key: string, value: string | number | boolean): this {
    this.opts.config![key] = value;
    return this;
  }
  /** The active session if there is one (its conf gains this builder's settings), else a new one. */
  getOrCreate(): SparkSession {
    const active = SparkSession.active;
    if (active && !active.stopped) {
      for (const [k, v] of Object.entries(this.opts.config ?? {})) active.conf.set(k, v);
      return active;
    }
    return new SparkSession(this.opts);
  }
}

export class SparkSession implements DataFrameSession, StreamingSession {
  static active: SparkSession | undefined;
  static get builder(): Builder {
    return new Builder();
  }

  readonly appName: string;
  readonly clock: Clock;
  readonly conf = new Conf();
  readonly streams = new StreamingQueryManager();
  private readonly tables = new Map<string, MemoryTable | DataFrame>();
  stopped = false;

  constructor(options: SparkSessionOptions = {}) {
    this.appName = options.appName ?? 'dstreams';
    this.clock = options.clock ?? new SystemClock();
    for (const [k, v] of Object.entries(options.config ?? {})) this.conf.set(k, v);
    SparkSession.active = this;
  }

  /** Static files (json, csv, text): `await spark.read.schema(s).json(path)`. */
  get read(): DataFrameReader {
    return new DataFrameReader(this);
  }

  get readStream(): DataStreamReader {
    return new DataStreamReader(this);
  }

  /** A static DataFrame from plain-object rows (or arrays, with a schema naming the columns). */
  createDataFrame(rows: readonly (object | unknown[])[], schema?: StructType | string | string[]): DataFrame {
    if (!Array.isArray(rows)) throw new TypeError('createDataFrame needs an array of rows');
    let st: StructType;
    let objects: Row[];
    if (Array.isArray(schema)) {
      objects = rows.map((r) => (Array.isArray(r) ? Object.fromEntries(schema.map((n, i) => [n, r[i] ?? null])) : { ...(r as Row) }));
      st = inferSchema(objects);
      st = new StructType(schema.map((n) => st.field(n)!).filter(Boolean));
    } else if (schema !== undefined) {
      st = toSchema(schema);
      const names = st.fieldNames;
      objects = rows.map((r) => (Array.isArray(r) ? Object.fromEntries(names.map((n, i) => [n, r[i] ?? null])) : { ...(r as Row) }));
    } else {
      if (rows.some((r) => Array.isArray(r))) throw new TypeError('createDataFrame: rows given as arrays need a schema');
      objects = rows.map((r) => ({ ...(r as Row) }));
      st = inferSchema(objects);
    }
    const fields = st.fields;
    const data = objects.map((r) => {
      const out: Row = {};
      for (const f of fields) out[f.name] = r[f.name] === undefined || r[f.name] === null ? null : castValue(r[f.name], f.dataType);
      return out;
    });
    return new DataFrame(this, new StaticScan(st, () => data));
  }

  /** A memory sink's table or a temp view, read when the DataFrame runs (names are case-insensitive, as Spark's). */
  table(name: string): DataFrame {
    const t = this.tables.get(name.toLowerCase());
    if (t === undefined) throw new AnalysisException(`Table or view not found: ${name}`);
    if (t instanceof DataFrame) return t;
    return new DataFrame(this, new StaticScan(t.schema, () => t.rows.slice()));
  }

  /** SELECT over memory tables and temp views. */
  sql(query: string): DataFrame {
    return runSql(query, (name) => (name === undefined ? new DataFrame(this, new StaticScan(new StructType([]), () => [{}])) : this.table(name)));
  }

  /** @internal A memory sink's table: each query start gets a new one (Spark's new MemorySink), replacing its name. */
  memoryTable(name: string, schema: StructType): MemoryTable {
    const t = new MemoryTable(schema);
    this.tables.set(name.toLowerCase(), t);
    return t;
  }

  registerView(name: string, df: DataFrame): void {
    this.tables.set(name.toLowerCase(), df);
  }

  /** The executing batch's (or query's) timestamp, else the clock: what current_timestamp() reads. */
  now(): number {
    return batchTimestamp() ?? this.clock.getTimeMillis();
  }
  sinkFactory(format: string): SinkFactory | undefined {
    return sinkFactories(this)[format];
  }
  batchFrame(rows: Row[], schema: StructType): DataFrame {
    return new DataFrame(this, new StaticScan(schema, () => rows));
  }

  /** Stops every active query. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.streams.stopAll();
    if (SparkSession.active === this) SparkSession.active = undefined;
  }
}
