/**
 * `dstreams meetup` (and src/apps/meetup/main.ts): the meetup RSVP job from the command line
 * (see docs/pipelines.md). PostgreSQL: the PG* variables (default 127.0.0.1:5432, database
 * test, user postgres) or --pg-url. One JSON line per event on stdout (start, batch, progress,
 * retry). Ctrl-C stops gracefully; a kill -9 loses nothing either: the next start resumes
 * exactly where the tables are.
 */
import type { Command } from 'commander';
import { jobCommand, runJob, sharedJobOptions, type SharedOptions } from '../jobCommand.js';
import { jsonLineLog } from '../running.js';
import { startMeetupJob } from './job.js';

export function meetupCommand(name = 'meetup'): Command {
  const cmd = jobCommand(
    name,
    'meetup RSVPs from Kafka → running response counts in PostgreSQL (update mode), dead letters, exactly once',
    { topic: 'Kafka topic with the RSVP events', sinkId: 'meetup-rsvps' },
  )
    .option('--table <name>', 'result table', 'meetup_table')
    .option('--dead-letter-table <name>', 'dead-letter table', 'meetup_dead_letters');
  return cmd.action(async (o: SharedOptions & { table: string; deadLetterTable: string }) => {
    const { job, table } = sharedJobOptions(o);
    await runJob('meetup-rsvps', job, () =>
      startMeetupJob({ ...job, log: jsonLineLog('batch'), table: table(o.table), deadLetterTable: table(o.deadLetterTable) }),
    );
  });
}
