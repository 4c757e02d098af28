/**
 * The meetup RSVP job from the command line (see docs/pipelines.md):
 *
 *   npx tsx src/apps/meetup/main.ts --topic rsvps --checkpoint .checkpoints/meetup
 *
 * PostgreSQL: the PG* variables (default 127.0.0.1:5432, database test, user postgres) or
 * --pg-url. One JSON line per event on stdout (start, batch, retry). Ctrl-C stops gracefully;
 * a kill -9 loses nothing either: the next start resumes exactly where the tables are.
 */
import { Command, InvalidArgumentError } from 'commander';
import { jsonLineLog, runUntilStopped } from '../running.js';
import { startMeetupJob } from './job.js';

function positive(v: string): number {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError('must be a positive number');
  return n;
}

const program = new Command('meetup-rsvps')
  .description('meetup RSVPs from Kafka → running response counts in PostgreSQL (update mode), dead letters, exactly once')
  .requiredOption('--topic <topic>', 'Kafka topic with the RSVP events')
  .requiredOption('--checkpoint <dir>', 'checkpoint directory')
  .option('--brokers <list>', 'Kafka brokers', process.env.KAFKA_BROKERS || '127.0.0.1:9092')
  .option('--batch-seconds <s>', 'batch interval in seconds', positive, 5)
  .option('--schema <schema>', 'schema of the tables (default: the search_path)')
  .option('--table <name>', 'result table', 'meetup_table')
  .option('--dead-letter-table <name>', 'dead-letter table', 'meetup_dead_letters')
  .option('--sink-id <id>', 'name of the job in the sink bookkeeping tables', 'meetup-rsvps')
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
  schema?: string;
  table: string;
  deadLetterTable: string;
  sinkId: string;
  method: string;
  maxRatePerPartition?: number;
  pgUrl?: string;
}>();
if (o.method !== 'copy' && o.method !== 'insert') program.error('error: --method must be copy or insert');
const table = (name: string) => (o.schema === undefined ? name : { schema: o.schema, name });

const log = jsonLineLog('batch');

const job = await startMeetupJob({
  log,
  brokers: o.brokers,
  topic: o.topic,
  checkpointDir: o.checkpoint,
  batchDuration: Math.round(o.batchSeconds * 1000),
  table: table(o.table),
  deadLetterTable: table(o.deadLetterTable),
  sinkId: o.sinkId,
  method: o.method as 'copy' | 'insert',
  ...(o.pgUrl !== undefined ? { postgres: { connectionString: o.pgUrl } } : {}),
  ...(o.maxRatePerPartition !== undefined ? { kafkaParams: { maxRatePerPartition: o.maxRatePerPartition } } : {}),
});
await runUntilStopped('meetup-rsvps', job);
