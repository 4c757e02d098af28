/**
 * The tweet speed layer from the command line (see docs/pipelines.md):
 *
 *   npx tsx src/apps/tweets/main.ts --topic tweets --checkpoint .checkpoints/tweets --export-seconds 10
 *
 * PostgreSQL: the PG* variables or --pg-url. One JSON line per event on stdout (start, export,
 * malformed, retry). Ctrl-C stops gracefully.
 */
import { Command, InvalidArgumentError } from 'commander';
import { jsonLineLog, runUntilStopped } from '../running.js';
import { startTweetsJob } from './job.js';

function positive(v: string): number {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError('must be a positive number');
  return n;
}

const program = new Command('tweets-speed-layer')
  .description("today's tweets from Kafka → per-location count and sums, the complete table replaced in PostgreSQL on an interval")
  .requiredOption('--topic <topic>', 'Kafka topic with the ;-separated tweet lines')
  .requiredOption('--checkpoint <dir>', 'checkpoint directory')
  .option('--brokers <list>', 'Kafka brokers', process.env.KAFKA_BROKERS || '127.0.0.1:9092')
  .option('--batch-seconds <s>', 'batch interval in seconds', positive, 5)
  .option('--export-seconds <s>', 'export interval in seconds (a multiple of the batch interval)', positive, 60)
  .option('--day <YYYY-MM-DD>', 'a fixed "today" (UTC), to replay a day; default: the day of each batch')
  .option('--schema <schema>', 'schema of the table (default: the search_path)')
  .option('--table <name>', 'result table', 'speed_layer')
  .option('--sink-id <id>', 'name of the job in the sink bookkeeping tables', 'tweets-speed-layer')
  .option('--method <copy|insert>', 'how rows are written', 'copy')
  .option('--max-rate-per-partition <n>', 'records per second per partition at most', positive)
  .option('--pg-url <url>', 'postgresql://user:pass@host:port/db (default: the PG* variables)')
  .showHelpAfterError();
program.parse(process.argv);
const o = program.opts<{
  topic: string;
  checkpoint: string;
  brokers: string;
  batchSeconds: number;
  exportSeconds: number;
  day?: string;
  schema?: string;
  table: string;
  sinkId: string;
  method: string;
  maxRatePerPartition?: number;
  pgUrl?: string;
}>();
if (o.method !== 'copy' && o.method !== 'insert') program.error('error: --method must be copy or insert');
if (o.day !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(o.day)) program.error('error: --day must be YYYY-MM-DD');

const log = jsonLineLog('export');

const job = await startTweetsJob({
  log,
  brokers: o.brokers,
  topic: o.topic,
  checkpointDir: o.checkpoint,
  batchDuration: Math.round(o.batchSeconds * 1000),
  exportEvery: Math.round(o.exportSeconds * 1000),
  ...(o.day !== undefined ? { day: o.day } : {}),
  table: o.schema === undefined ? o.table : { schema: o.schema, name: o.table },
  sinkId: o.sinkId,
  method: o.method as 'copy' | 'insert',
  ...(o.pgUrl !== undefined ? { postgres: { connectionString: o.pgUrl } } : {}),
  ...(o.maxRatePerPartition !== undefined ? { kafkaParams: { maxRatePerPartition: o.maxRatePerPartition } } : {}),
});
await runUntilStopped('tweets-speed-layer', job);
