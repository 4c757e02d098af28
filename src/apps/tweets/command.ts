/**
 * `dstreams tweets` (and src/apps/tweets/main.ts): the tweet speed layer from the command line
 * (see docs/pipelines.md). PostgreSQL: the PG* variables or --pg-url. One JSON line per event on
 * stdout (start, export, progress, malformed, retry). Ctrl-C stops gracefully.
 */
import type { Command } from 'commander';
import { UsageError } from '../../util/usage.js';
import { isoDay, jobCommand, positive, runJob, sharedJobOptions, type SharedOptions } from '../jobCommand.js';
import { jsonLineLog } from '../running.js';
import { startTweetsJob } from './job.js';

export function tweetsCommand(name = 'tweets'): Command {
  const cmd = jobCommand(
    name,
    "today's tweets from Kafka → per-location count and sums, the complete table replaced in PostgreSQL on an interval",
    { topic: 'Kafka topic with the ;-separated tweet lines', sinkId: 'tweets-speed-layer' },
  )
    .option('--export-seconds <s>', 'export interval in seconds (a multiple of the batch interval)', positive, 60)
    .option('--day <YYYY-MM-DD>', 'a fixed "today" (UTC), to replay a day; default: the day of each batch', isoDay)
    .option('--table <name>', 'result table', 'speed_layer');
  return cmd.action(async (o: SharedOptions & { exportSeconds: number; day?: string; table: string }) => {
    const { job, table } = sharedJobOptions(o);
    // Checked before waiting for Kafka and PostgreSQL: a bad flag is one line and exit code 2 at once.
    const exportEvery = Math.round(o.exportSeconds * 1000);
    if (exportEvery < job.batchDuration || exportEvery % job.batchDuration !== 0) {
      throw new UsageError(`--export-seconds must be a multiple of --batch-seconds (${job.batchDuration / 1000}), got ${o.exportSeconds}`);
    }
    await runJob('tweets-speed-layer', job, () =>
      startTweetsJob({
        ...job,
        log: jsonLineLog('export'),
        exportEvery,
        ...(o.day !== undefined ? { day: o.day } : {}),
        table: table(o.table),
      }),
    );
  });
}
