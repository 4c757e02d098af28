/**
 * `df.writeStream…start()`: collects the sink, output mode, trigger and options, checks them
 * with Spark's rules at start() (analysis.ts), and starts the query.
 *
 * When things happen: start() returns the StreamingQuery at once, as Spark's does (API.md:
 * `start(path?): StreamingQuery`). What it can check without I/O it checks before returning, and
 * a failure there throws: the output mode, the query name, the checkpoint location, the sink's
 * format, options and columns, the trigger. The query id is read from (or written to) the
 * checkpoint's `metadata` file synchronously, so `query.id` is there at once; another run of the
 * same query (same checkpointLocation) still active is stopped, as Spark's default
 * (spark.sql.streaming.stopActiveRunOnRestart), and this one opens once that one released the
 * checkpoint. Opening the sink and the engine (restoring the checkpoint, starting the source) runs
 * in the background: a failure there terminates the query, and awaitTermination(),
 * processAllAvailable() and exception() report it, as Spark's stream thread does.
 *
 * Option names are case-insensitive (options.ts), as Spark's CaseInsensitiveMap.
 *
 * checkpointLocation: the option, else `spark.sql.streaming.checkpointLocation`/<query name>;
 * console, memory and foreachBatch queries may run without one (their state is then kept in
 * memory only, where Spark would use a temporary directory); file, kafka and postgres sinks
 * require one. A memory sink resumes from an existing checkpoint only in complete mode (Spark).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataFrame } from '../DataFrame.js';
import { optionArgs, optionsArg, stringArg } from '../dataFrameArgs.js';
import { AnalysisException } from '../errors.js';
import type { BatchOutput, OutputModeName, Sink } from '../sinks/Sink.js';
import { triggerIntervalMs } from '../interval.js';
import { Aggregate } from '../plan.js';
import { sourceFormat } from '../sources/registry.js';
import { analyzeStreaming } from './analysis.js';
import { MicroBatchExecution } from './MicroBatchExecution.js';
import { StreamingQuery, type Trigger } from './StreamingQuery.js';
import { caseInsensitiveOptions } from './options.js';
import { parseWatermarkPolicy, WATERMARK_POLICY_KEY } from './WatermarkTracker.js';
import type { SinkFactory, StreamingSession } from './session.js';

export type ForeachBatchFunction = (batchDf: DataFrame, batchId: number) => void | Promise<void>;

/** Spark's SQLConf.STREAMING_STOP_ACTIVE_RUN_ON_RESTART. */
export const STOP_ACTIVE_RUN_KEY = 'spark.sql.streaming.stopActiveRunOnRestart';

/** Why an opening stop() abandoned ended (the query ignores it: it was stopped). */
const STOPPED_WHILE_OPENING = 'the query was stopped while opening';

function stopActiveRunOnRestart(v: string | undefined): boolean {
  const t = (v ?? 'true').trim().toLowerCase();
  if (t !== 'true' && t !== 'false') throw new RangeError(`${STOP_ACTIVE_RUN_KEY} should be boolean, but was ${v}`);
  return t === 'true';
}

const MODES = new Set(['append', 'update', 'complete']);

export class DataStreamWriter {
  private mode: OutputModeName = 'append';
  private sinkFormat = 'console';
  /** The format as given, for messages. */
  private formatName = 'console';
  /** Case-insensitive keys, as Spark's CaseInsensitiveMap (options.ts): `checkpointlocation` is `checkpointLocation`. */
  private readonly opts = caseInsensitiveOptions();
  private name: string | null = null;
  private triggerValue: Trigger | undefined;
  private batchFn: ForeachBatchFunction | undefined;

  constructor(
    private readonly df: DataFrame,
    private readonly session: StreamingSession,
  ) {}

  outputMode(mode: string): this {
    const m = stringArg('writeStream.outputMode', 'outputMode', mode, "an output mode ('append', 'update', 'complete')").toLowerCase();
    if (!MODES.has(m)) {
      throw new AnalysisException(`Unknown output mode ${mode}. Accepted output modes are 'append', 'complete', 'update'`);
    }
    this.mode = m as OutputModeName;
    return this;
  }
  format(source: string): this {
    this.formatName = stringArg('writeStream.format', 'source', source, "a sink format name ('console', 'kafka', …)");
    this.sinkFormat = this.formatName.toLowerCase();
    return this;
  }
  option(key: string, value: string | number | boolean): this {
    const [k, v] = optionArgs('writeStream.option', key, value);
    this.opts[k] = v;
    return this;
  }
  options(opts: Record<string, string | number | boolean>): this {
    for (const [k, v] of Object.entries(optionsArg('writeStream.options', opts))) this.option(k, v as string);
    return this;
  }
  queryName(name: string): this {
    // PySpark's VALUE_NOT_NON_EMPTY_STR: a name that is not a non-empty string is refused here.
    if (stringArg('writeStream.queryName', 'queryName', name, 'a non-empty string').trim() === '') {
      throw new TypeError(`writeStream.queryName: queryName must be a non-empty string, got the string '${name}'`);
    }
    this.name = name;
    return this;
  }
  trigger(t: Trigger): this {
    const keys = t && typeof t === 'object' ? Object.keys(t) : [];
    if (keys.length !== 1 || !['processingTime', 'once', 'availableNow'].includes(keys[0]!)) {
      throw new TypeError("trigger() takes one of { processingTime: '1 second' }, { once: true }, { availableNow: true }");
    }
    if ('processingTime' in t) triggerIntervalMs(t.processingTime); // an interval that does not parse fails here, not at start()
    this.triggerValue = t;
    return this;
  }
  foreachBatch(fn: ForeachBatchFunction): this {
    if (typeof fn !== 'function') throw new TypeError('foreachBatch needs a function (batchDf, batchId) => …');
    this.batchFn = fn;
    this.sinkFormat = 'foreachBatch';
    return this;
  }

  start(path?: string): StreamingQuery {
    if (path !== undefined) this.opts.path = stringArg('writeStream.start', 'path', path, 'a path (a string)');
    // Spark looks the format up first: a mistyped one is named as such, before any other check.
    const factory = this.sinkFormat === 'foreachBatch' ? undefined : this.lookUpSink();
    const root = this.df.plan;
    const shape = analyzeStreaming(root, this.mode, this.sinkFormat);
    const watermarkPolicy = parseWatermarkPolicy(this.session.conf.get(WATERMARK_POLICY_KEY));
    if (this.sinkFormat === 'memory' && !this.name) throw new AnalysisException('queryName must be specified for memory sink');
    if (this.name && this.session.streams.active.some((q) => q.name === this.name)) {
      throw new AnalysisException(`Cannot start query with name ${this.name} as a query with that name is already active in this SparkSession`);
    }
    const location = this.checkpointLocation();
    const temporary = location === undefined && ['console', 'memory', 'foreachBatch'].includes(this.sinkFormat);
    if (location === undefined && !temporary) {
      throw new AnalysisException(
        'checkpointLocation must be specified either through option("checkpointLocation", ...) or SparkSession.conf.set("spark.sql.streaming.checkpointLocation", ...)',
      );
    }
    if (location !== undefined && this.sinkFormat === 'memory' && this.mode !== 'complete') refuseRecovery(location);
    const runId = randomUUID();
    const startedAt = this.session.clock.getTimeMillis();
    const startedAtWallMs = Date.now();
    const id = location === undefined ? randomUUID() : queryId(location);
    // Another run of this query (the same checkpointLocation) still active: Spark stops it and
    // starts this one (spark.sql.streaming.stopActiveRunOnRestart, true by default), or refuses.
    const otherRun = this.session.streams.registeredRun(id);
    const stopOtherRun = otherRun !== undefined && otherRun.isActive;
    if (stopOtherRun && !stopActiveRunOnRestart(this.session.conf.get(STOP_ACTIVE_RUN_KEY))) {
      throw Object.assign(
        new Error(
          `Cannot start query with id ${id} as another query with same id is already active. Perhaps you are attempting to restart a query from checkpoint ` +
            `that is already active. You may stop the old query by setting the SQL configuration: spark.conf.set("${STOP_ACTIVE_RUN_KEY}", true) and retry.`,
        ),
        { name: 'IllegalStateException' },
      );
    }
    // Without a location (console, memory, foreachBatch) nothing is checkpointed: Spark's temporary
    // checkpoint could not resume anything either.
    const checkpointDir = location !== undefined ? join(location, 'engine') : undefined;
    const keyColumns = shape.stateful instanceof Aggregate ? shape.stateful.agg.groupNames : undefined;
    const query: StreamingQuery = new StreamingQuery(id, runId, this.name, this.session.streams, explainText(root, this.mode, this.sinkFormat));
    // The sink is made now (a missing path or a bad option throws from start(), as in Spark), opened later.
    const made = this.makeSink(factory, location, keyColumns, id);
    void Promise.resolve(made).catch(() => undefined); // its failure is the opening's, reported by the query
    if (stopOtherRun) {
      console.warn(`dstreams: Stopping existing streaming query [id=${id}, runId=${otherRun.runId}], as a new run is being started.`);
      void otherRun.stop().catch(() => undefined);
    }
    const open = async (abandoned: AbortSignal): Promise<MicroBatchExecution> => {
      await previousReleased;
      const sink = await made;
      if (!query.isActive) throw new Error(STOPPED_WHILE_OPENING); // never opened: nothing to close
      // stop() abandoning the opening closes the sink at once: its close() ends a setup that waits
      // or retries (a PostgreSQL sink retried an unreachable server for a minute, and a new run on
      // this checkpointLocation waited for it). The opening ends once that close is done.
      let closing: Promise<void> | undefined;
      const closeSink = (): Promise<void> => (closing ??= Promise.resolve(sink.close?.()).then(() => undefined, () => undefined));
      const onAbandoned = (): void => void closeSink();
      abandoned.addEventListener('abort', onAbandoned, { once: true });
      try {
        try {
          await sink.open?.();
          if (!query.isActive) throw new Error(STOPPED_WHILE_OPENING);
        } catch (e) {
          await closeSink();
          throw e;
        }
        const exec = new MicroBatchExecution({
          id,
          runId,
          name: this.name,
          appName: this.session.appName,
          root,
          shape,
          mode: this.mode,
          sink,
          checkpointDir,
          watermarkPolicy,
          now: () => this.session.clock.getTimeMillis(),
          startedAt,
          startedAtWallMs,
          trigger: this.triggerValue,
          onProgress: (p) => {
            query.record(p);
            this.session.streams.progressed(query, p);
          },
        });
        try {
          await exec.start();
        } catch (e) {
          await exec.stop().catch(() => undefined);
          throw e;
        }
        return exec;
      } finally {
        abandoned.removeEventListener('abort', onAbandoned);
        await closing; // closed by stop(): done before the opening ends
      }
    };
    this.session.streams.started(query);
    // The checkpoint is this run's once the run before it released it (stopped, its opening ended).
    const previousReleased = this.session.streams.takeOver(query);
    query.begin(open, this.triggerValue, this.session.clock);
    return query;
  }

  /** The sink format's factory; Spark's errors for a format it does not know or cannot write to. */
  private lookUpSink(): SinkFactory {
    const factory = this.session.sinkFactory(this.sinkFormat);
    if (factory) return factory;
    if (sourceFormat(this.sinkFormat)) throw new AnalysisException(`Data source ${this.formatName} does not support streamed writing`);
    throw new AnalysisException(
      `[DATA_SOURCE_NOT_FOUND] Failed to find the data source: ${this.formatName}. Please find packages at \`https://spark.apache.org/third-party-projects.html\`.`,
    );
  }

  private checkpointLocation(): string | undefined {
    const own = this.opts.checkpointLocation;
    if (own !== undefined) return own;
    const base = this.session.conf.get('spark.sql.streaming.checkpointLocation');
    if (base === undefined || base === null) return undefined;
    return join(String(base), this.name ?? randomUUID());
  }

  private makeSink(factory: SinkFactory | undefined, location: string | undefined, keyColumns: string[] | undefined, queryId: string): Sink | Promise<Sink> {
    if (factory === undefined) {
      const fn = this.batchFn!;
      const session = this.session;
      return {
        description: 'ForeachBatchSink',
        async addBatch(b: BatchOutput) {
          await fn(session.batchFrame(b.rows, b.schema), b.batchId);
        },
      };
    }
    return factory({ options: this.opts, queryName: this.name, schema: this.df.schema, mode: this.mode, checkpointLocation: location, keyColumns, queryId });
  }
}

/**
 * A memory sink in append mode cannot resume: its table starts empty and would show only the rows
 * of batches after the restart. Spark refuses it (recoverQueryFromCheckpointUnsupportedError: the
 * memory sink recovers only in complete mode) once a run wrote the checkpoint (Spark's `offsets`,
 * here the engine's checkpoint).
 */
function refuseRecovery(location: string): void {
  const written = join(location, 'engine');
  if (existsSync(written)) {
    throw new AnalysisException(`This query does not support recovering from checkpoint location. Delete ${written} to start over.`);
  }
}

/**
 * The query id lives in the checkpoint (Spark's `metadata` file), so a restart keeps it. Read
 * synchronously: start() returns the query, id included, at once (one small file).
 */
function queryId(location: string): string {
  const file = join(location, 'metadata');
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { id: string }).id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const id = randomUUID();
  mkdirSync(location, { recursive: true });
  writeFileSync(file, JSON.stringify({ id }) + '\n');
  return id;
}

function explainText(root: { constructor: { name: string }; children: unknown[] }, mode: string, sink: string): string {
  const lines: string[] = [`== Physical Plan == (output mode ${mode}, sink ${sink})`];
  const walk = (p: { constructor: { name: string }; children: unknown[] }, depth: number) => {
    lines.push(`${'   '.repeat(depth)}+- ${p.constructor.name}`);
    for (const c of p.children) walk(c as typeof p, depth + 1);
  };
  walk(root, 0);
  return lines.join('\n');
}

declare module '../DataFrame.js' {
  interface DataFrame {
    /** The streaming writer (a streaming DataFrame only). */
    readonly writeStream: DataStreamWriter;
  }
}

Object.defineProperty(DataFrame.prototype, 'writeStream', {
  get(this: DataFrame): DataStreamWriter {
    if (!this.isStreaming) throw new AnalysisException("'writeStream' can be called only on streaming Dataset/DataFrame");
    return new DataStreamWriter(this, this.sparkSession as unknown as StreamingSession);
  },
});
