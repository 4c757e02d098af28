/**
 * The command line every Kafka → PostgreSQL app shares: the options (topic, checkpoint,
 * brokers, batch interval, schema, sink id, write method, rate limit, PostgreSQL URL), their
 * checks, and the part of the job's options they become. An app adds its own options (tables,
 * intervals) to the command and its own fields to the job options, and runs with `runJob`:
 * Kafka and PostgreSQL are waited for first (one line per attempt, then the reason and exit 1),
 * then the job runs until Ctrl-C. The same command is `dstreams <app>` and the app's main.ts.
 */
import { Command, InvalidArgumentError } from 'commander';
import { waitForKafka, waitForPostgres, type KafkaParams, type StreamingContext, type WebUiOptions } from '../index.js';
import type { TableRef } from '../sinks/postgres/index.js';
import { parseBrokerList } from '../kafka/params.js';
import { UsageError } from '../util/usage.js';
import { runUntilStopped } from './running.js';

export function positive(v: string): number {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError('must be a positive number');
  return n;
}

/** A --brokers value: host:port[,…], checked as it is parsed (a malformed list is a usage error, not "Kafka unreachable"). */
export function brokersArg(v: string): string {
  try {
    return parseBrokerList(v, '--brokers list').join(',');
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** A calendar day `YYYY-MM-DD` that exists (2020-02-30 does not). */
export function isoDay(v: string): string {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN;
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== v) throw new InvalidArgumentError('must be a date YYYY-MM-DD');
  return v;
}

export interface JobCommandDefaults {
  /** What the topic holds, for --help. */
  topic: string;
  /** The default --sink-id. */
  sinkId: string;
}

/** A command with the shared options; add the app's own with `.option(…)` before parsing. */
export function jobCommand(name: string, description: string, defaults: JobCommandDefaults): Command {
  return new Command(name)
    .description(description)
    .requiredOption('--topic <topic>', defaults.topic)
    .requiredOption('--checkpoint <dir>', 'checkpoint directory')
    .option('--brokers <list>', 'Kafka brokers, host:port[,…] (default: $KAFKA_BROKERS, else 127.0.0.1:9092)', brokersArg)
    .option('--batch-seconds <s>', 'batch interval in seconds', positive, 5)
    .option('--schema <schema>', 'schema of the tables (default: the search_path)')
    .option('--sink-id <id>', 'name of the job in the sink bookkeeping tables', defaults.sinkId)
    .option('--method <copy|insert>', 'how rows are written', 'copy')
    .option('--max-rate-per-partition <n>', 'records per second per partition at most', positive)
    .option('--pg-url <url>', 'postgresql://user:pass@host:port/db (default: the PG* variables)')
    .option('--ui', "serve the web UI (Spark's Streaming tab), REST JSON and /metrics on 127.0.0.1:4040")
    .option('--ui-port <port>', 'port of the web UI (implies --ui)', port)
    .option('--rebuild-table', 'the result table was dropped, truncated or lost rows: rebuild it from the checkpointed state');
}

function port(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError('must be a TCP port (0-65535)');
  return n;
}

export interface SharedOptions {
  topic: string;
  checkpoint: string;
  brokers?: string;
  batchSeconds: number;
  schema?: string;
  sinkId: string;
  method: string;
  maxRatePerPartition?: number;
  pgUrl?: string;
  ui?: boolean;
  uiPort?: number;
  rebuildTable?: boolean;
}

/** The job options the shared command-line options give (every app's start function takes them). */
export interface SharedJobOptions {
  brokers: string;
  topic: string;
  checkpointDir: string;
  batchDuration: number;
  sinkId: string;
  method: 'copy' | 'insert';
  postgres?: { connectionString: string };
  kafkaParams?: KafkaParams;
  ui?: WebUiOptions;
  rebuildTable?: boolean;
}

/**
 * The shared job options from the parsed options of a command made by jobCommand (its action's
 * `opts`), and `table(name)`: a table in --schema. Bad values throw a UsageError.
 */
export function sharedJobOptions(o: SharedOptions): { job: SharedJobOptions; table: (name: string) => TableRef } {
  if (o.method !== 'copy' && o.method !== 'insert') throw new UsageError('--method must be copy or insert');
  if (Math.round(o.batchSeconds * 1000) < 1) throw new UsageError(`--batch-seconds must be at least 0.001 (a whole number of ms), got ${o.batchSeconds}`);
  const job: SharedJobOptions = {
    brokers: o.brokers ?? (process.env.KAFKA_BROKERS || '127.0.0.1:9092'),
    topic: o.topic,
    checkpointDir: o.checkpoint,
    batchDuration: Math.round(o.batchSeconds * 1000),
    sinkId: o.sinkId,
    method: o.method,
    ...(o.pgUrl !== undefined ? { postgres: { connectionString: o.pgUrl } } : {}),
    ...(o.maxRatePerPartition !== undefined ? { kafkaParams: { maxRatePerPartition: o.maxRatePerPartition } } : {}),
    ...(o.ui || o.uiPort !== undefined ? { ui: o.uiPort !== undefined ? { port: o.uiPort } : {} } : {}),
    ...(o.rebuildTable ? { rebuildTable: true } : {}),
  };
  const table = (name: string): TableRef => (o.schema === undefined ? name : { schema: o.schema, name });
  return { job, table };
}

/**
 * Waits for Kafka and PostgreSQL (saying so, and giving up with a ServiceUnreachableError),
 * starts the job and runs it until SIGINT/SIGTERM or a failure.
 */
export async function runJob(
  name: string,
  job: SharedJobOptions,
  start: () => Promise<{ ssc: StreamingContext; stop(): Promise<void> }>,
): Promise<void> {
  await waitForKafka(job.brokers);
  await waitForPostgres(job.postgres ?? {});
  await runUntilStopped(name, await start());
}
