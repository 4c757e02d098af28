/**
 * The meetup RSVP job from the command line (see docs/pipelines.md):
 *
 *   npx tsx src/apps/meetup/main.ts --topic rsvps --checkpoint .checkpoints/meetup
 *
 * PostgreSQL: the PG* variables (default 127.0.0.1:5432, database test, user postgres) or
 * --pg-url. One JSON line per event on stdout (start, batch, retry). Ctrl-C stops gracefully;
 * a kill -9 loses nothing either: the next start resumes exactly where the tables are.
 */
import { jobCommand, parseJobCommand } from '../jobCommand.js';
import { jsonLineLog, runUntilStopped } from '../running.js';
import { startMeetupJob } from './job.js';

const program = jobCommand(
  'meetup-rsvps',
  'meetup RSVPs from Kafka → running response counts in PostgreSQL (update mode), dead letters, exactly once',
  { topic: 'Kafka topic with the RSVP events', sinkId: 'meetup-rsvps' },
)
  .option('--table <name>', 'result table', 'meetup_table')
  .option('--dead-letter-table <name>', 'dead-letter table', 'meetup_dead_letters');
const { opts, job, table } = parseJobCommand<{ table: string; deadLetterTable: string }>(program);

const started = await startMeetupJob({
  ...job,
  log: jsonLineLog('batch'),
  table: table(opts.table),
  deadLetterTable: table(opts.deadLetterTable),
});
await runUntilStopped('meetup-rsvps', started);
