/**
 * The tweet speed layer (seed 000), end to end:
 *
 *   Kafka topic ─ direct stream ─ today's tweets ─ running count(id) and sums per location
 *     └ every `exportEvery`: the complete result for today, replacing the table (`speed_layer`),
 *       in one transaction with the batch's claim and the stream's offsets
 *
 * The seed exports the in-memory result to Redshift every hour with `mode("overwrite")`; here
 * the sink's complete mode replaces the table's contents in a transaction (readers see the old
 * result until the new one commits). A restart resumes from the checkpoint, or — when the sink
 * has committed an export the checkpoint has not completed — from the table (today's totals)
 * and the offsets stored with it. Either way the next export is the complete, exact result.
 */
import {
  KafkaUtils,
  PostgresSink,
  StreamingContext,
  type KafkaParams,
} from '../../index.js';
import type { TableRef } from '../../sinks/postgres/index.js';
import { OffsetTracker, resumeFromSink, type Resumed } from '../../exactlyonce/exactlyOnce.js';
import { startResumed, type KafkaToPostgresJobOptions } from '../running.js';
import { defineTweetsGraph } from './graph.js';
import { TWEETS_COLUMNS, TWEETS_TABLE_TYPES, type LocationTotals } from './schema.js';

export interface TweetsJobOptions extends KafkaToPostgresJobOptions {
  /** Export interval in ms, a multiple of the batch interval. Default 60 000 (the seed: one hour). */
  exportEvery?: number;
  /** A fixed "today", `YYYY-MM-DD` (to replay a day); default: the UTC day of each batch. */
  day?: string;
  /** Default `speed_layer` (the seed's table). */
  table?: TableRef;
}

export interface TweetsJob {
  ssc: StreamingContext;
  sink: PostgresSink<unknown[]>;
  resumed: Resumed;
  stop(): Promise<void>;
}

const defaultLog = (event: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(event)}\n`);

/** A bigint sum column (node-postgres gives text): NULL stays null, as the sum it was. */
function orNull(v: unknown): number | null {
  return v === null ? null : Number(v);
}

/** `YYYY-MM-DD` of a `date` column, which node-postgres gives as a Date at local midnight. */
function dateText(v: unknown): string {
  if (v instanceof Date) {
    const p = (n: number) => String(n).padStart(2, '0');
    return `${v.getFullYear()}-${p(v.getMonth() + 1)}-${p(v.getDate())}`;
  }
  return String(v);
}

export function tweetsSink(options: Pick<TweetsJobOptions, 'table' | 'sinkId' | 'method' | 'postgres' | 'retry' | 'rebuildTable'> & {
  onRetry?: ConstructorParameters<typeof PostgresSink>[0]['onRetry'];
}): PostgresSink<unknown[]> {
  return new PostgresSink<unknown[]>({
    ...options.postgres,
    ...(options.method !== undefined ? { method: options.method } : {}),
    retry: options.retry ?? { maxElapsedMs: Infinity, maxDelayMs: 5000 },
    // One claim row per batch: forget those older than a day (replays are of the last few batches).
    bookkeepingRetentionMs: 86_400_000,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    table: options.table ?? 'speed_layer',
    columns: TWEETS_COLUMNS,
    createTable: { ...TWEETS_TABLE_TYPES },
    keyColumns: ['location'],
    mode: 'complete',
    // Complete mode: the next export is the full state, so rebuilding is letting it replace the table.
    ...(options.rebuildTable ? { rebuild: true } : {}),
    sinkId: options.sinkId ?? 'tweets-speed-layer',
  });
}

export async function startTweetsJob(options: TweetsJobOptions): Promise<TweetsJob> {
  const log = options.log ?? defaultLog;
  const batchDuration = options.batchDuration ?? 5000;
  const exportEvery = options.exportEvery ?? 60_000;
  const sink = tweetsSink({
    ...options,
    onRetry: (e) => log({ event: 'retry', batch: e.batchTime, attempt: e.attempt, delayMs: Math.round(e.delayMs), error: String((e.error as Error)?.message ?? e.error) }),
  });
  const kafkaParams: KafkaParams = { 'auto.offset.reset': 'earliest', ...options.kafkaParams, 'bootstrap.servers': options.brokers };

  try {
    const resumed = await resumeFromSink({
      checkpointDir: options.checkpointDir,
      sink,
      topics: [options.topic],
      log: (message) => log({ event: 'resume', message }),
      create: async (start) => {
        const ssc = new StreamingContext({ batchDuration, appName: 'tweets-speed-layer', ...(options.ui !== undefined ? { ui: options.ui } : {}) });
        ssc.checkpoint(options.checkpointDir);
        const tracker = new OffsetTracker();
        const records = tracker.track(KafkaUtils.createDirectStream(ssc, [options.topic], kafkaParams, start.fromOffsets));
        // Resuming from the checkpoint, its state replaces the table's: no need to read the table.
        const initial = (start.fromCheckpoint ? [] : await sink.readRows()).map((r): [string, LocationTotals] => [
          String(r[0]),
          { count: Number(r[1]), followers: orNull(r[2]), favorites: orNull(r[3]), retweets: orNull(r[4]), day: dateText(r[5]) },
        ]);
        defineTweetsGraph(
          records,
          {
            exportEvery,
            day: options.day,
            initial,
            onMalformed: (time, count) => count > 0 && log({ event: 'malformed', time, count }),
          },
          async ({ time, day, rows }) => {
            const offsetRanges = tracker.rangesAt(time);
            const result = await sink.writeBatch(
              { batchTime: time, offsetRanges },
              rows.map(([location, t]) => [location, t.count, t.followers, t.favorites, t.retweets, day, time]),
            );
            tracker.forget(time);
            log({
              event: 'export',
              time,
              day,
              locations: rows.length,
              tweets: rows.reduce((n, [, t]) => n + t.count, 0),
              skipped: result.skipped,
              ...(result.rebuilt ? { rebuilt: true } : {}),
              attempts: result.attempts,
            });
          },
        );
        return ssc;
      },
    });
    const { ssc, stop } = await startResumed(resumed, log, () => sink.close());
    return { ssc, sink, resumed, stop };
  } catch (e) {
    await sink.close();
    throw e;
  }
}
