/**
 * The command line every Kafka → PostgreSQL app shares: the options (topic, checkpoint,
 * brokers, batch interval, schema, sink id, write method, rate limit, PostgreSQL URL), their
 * checks, and the part of the job's options they become. An app adds its own options (tables,
 * intervals) to the command and its own fields to the job options.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { TableRef } from '../sinks/postgres/index.js';
import type { KafkaParams } from '../kafka/params.js';

export function positive(v: string): number {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError('must be a positive number');
  return n;
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
    .option('--brokers <list>', 'Kafka brokers', process.env.KAFKA_BROKERS || '127.0.0.1:9092')
    .option('--batch-seconds <s>', 'batch interval in seconds', positive, 5)
    .option('--schema <schema>', 'schema of the tables (default: the search_path)')
    .option('--sink-id <id>', 'name of the job in the sink bookkeeping tables', defaults.sinkId)
    .option('--method <copy|insert>', 'how rows are written', 'copy')
    .option('--max-rate-per-partition <n>', 'records per second per partition at most', positive)
    .option('--pg-url <url>', 'postgresql://user:pass@host:port/db (default: the PG* variables)')
    .showHelpAfterError();
}

interface SharedOptions {
  topic: string;
  checkpoint: string;
  brokers: string;
  batchSeconds: number;
  schema?: string;
  sinkId: string;
  method: string;
  maxRatePerPartition?: number;
  pgUrl?: string;
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
}

/**
 * Parses `argv` with `program` (from jobCommand) and checks the shared options. Returns the
 * app's own options (`O`), the shared job options, and `table(name)`: a table in --schema.
 */
export function parseJobCommand<O extends object>(
  program: Command,
  argv: readonly string[] = process.argv,
): { opts: O & SharedOptions; job: SharedJobOptions; table: (name: string) => TableRef } {
  program.parse(argv as string[]);
  const o = program.opts<O & SharedOptions>();
  if (o.method !== 'copy' && o.method !== 'insert') program.error('error: --method must be copy or insert');
  const job: SharedJobOptions = {
    brokers: o.brokers,
    topic: o.topic,
    checkpointDir: o.checkpoint,
    batchDuration: Math.round(o.batchSeconds * 1000),
    sinkId: o.sinkId,
    method: o.method as 'copy' | 'insert',
    ...(o.pgUrl !== undefined ? { postgres: { connectionString: o.pgUrl } } : {}),
    ...(o.maxRatePerPartition !== undefined ? { kafkaParams: { maxRatePerPartition: o.maxRatePerPartition } } : {}),
  };
  const table = (name: string): TableRef => (o.schema === undefined ? name : { schema: o.schema, name });
  return { opts: o, job, table };
}
