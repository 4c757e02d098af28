/**
 * The tweet speed layer from the command line (see docs/pipelines.md):
 *
 *   npx tsx src/apps/tweets/main.ts --topic tweets --checkpoint .checkpoints/tweets --export-seconds 10
 *
 * PostgreSQL: the PG* variables or --pg-url. One JSON line per event on stdout (start, export,
 * malformed, retry). Ctrl-C stops gracefully.
 */
import { jobCommand, parseJobCommand, positive } from '../jobCommand.js';
import { jsonLineLog, runUntilStopped } from '../running.js';
import { startTweetsJob } from './job.js';

const program = jobCommand(
  'tweets-speed-layer',
  "today's tweets from Kafka → per-location count and sums, the complete table replaced in PostgreSQL on an interval",
  { topic: 'Kafka topic with the ;-separated tweet lines', sinkId: 'tweets-speed-layer' },
)
  .option('--export-seconds <s>', 'export interval in seconds (a multiple of the batch interval)', positive, 60)
  .option('--day <YYYY-MM-DD>', 'a fixed "today" (UTC), to replay a day; default: the day of each batch')
  .option('--table <name>', 'result table', 'speed_layer');
const { opts, job, table } = parseJobCommand<{ exportSeconds: number; day?: string; table: string }>(program);
if (opts.day !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.day)) program.error('error: --day must be YYYY-MM-DD');

const started = await startTweetsJob({
  ...job,
  log: jsonLineLog('export'),
  exportEvery: Math.round(opts.exportSeconds * 1000),
  ...(opts.day !== undefined ? { day: opts.day } : {}),
  table: table(opts.table),
});
await runUntilStopped('tweets-speed-layer', started);
