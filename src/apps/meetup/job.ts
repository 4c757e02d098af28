/**
 * The meetup RSVP job (seed 004), end to end and exactly once:
 *
 *   Kafka topic ─ direct stream ─ parse/validate ─ running totals per the seed's grouping columns
 *     └ each batch, one PostgreSQL transaction: the totals the batch changed (upsert on the
 *       grouping columns, with batch_id), its dead letters (append), the batch's claim and its
 *       Kafka offsets
 *
 * Restarts: `resumeFromSink` resumes from the checkpoint when it is in step with the sink, or
 * behind it with the offset ranges of the batches the sink committed (they run again exactly and
 * are skipped); else it starts from what PostgreSQL holds (the offsets for the direct stream, the
 * table for the state).
 * The sink's `offsetCheck: 'contiguous'` makes any other start fail loudly rather than count a
 * record twice or skip one. The command line is `main.ts` next to this file.
 */
import {
  KafkaUtils,
  PostgresSink,
  StreamingContext,
  type SinkRetryEvent,
  type KafkaParams,
} from '../../index.js';
import type { TableRef } from '../../sinks/postgres/index.js';
import { OffsetTracker, resumeFromSink, type Resumed } from '../../exactlyonce/exactlyOnce.js';
import { startResumed, type KafkaToPostgresJobOptions } from '../running.js';
import { defineMeetupGraph } from './graph.js';
import { DEAD_LETTER_TYPES, GROUP_COLUMNS, MEETUP_TABLE_TYPES, totalsRow, type RsvpKey } from './schema.js';

export interface MeetupJobOptions extends KafkaToPostgresJobOptions {
  /** Result table. Default `meetup_table` (the seed's). */
  table?: TableRef;
  /** Dead-letter table. Default `meetup_dead_letters`, in the result table's schema. */
  deadLetterTable?: TableRef;
}

export interface MeetupJob {
  ssc: StreamingContext;
  sink: PostgresSink<Record<string, unknown>>;
  deadLetters: PostgresSink<Record<string, unknown>>;
  resumed: Resumed;
  /** Stops the job (gracefully: the batches generated so far are written) and closes the sinks. */
  stop(): Promise<void>;
}

const defaultLog = (event: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(event)}\n`);

export function meetupSinks(options: Pick<MeetupJobOptions, 'table' | 'deadLetterTable' | 'sinkId' | 'method' | 'postgres' | 'retry' | 'rebuildTable'> & {
  onRetry?: (e: SinkRetryEvent & { sinkId: string; batchTime?: number }) => void;
}) {
  const table = options.table ?? 'meetup_table';
  const schema = typeof table === 'string' ? undefined : table.schema;
  const deadTable = options.deadLetterTable ?? (schema === undefined ? 'meetup_dead_letters' : { schema, name: 'meetup_dead_letters' });
  const sinkId = options.sinkId ?? 'meetup-rsvps';
  const common = {
    ...options.postgres,
    ...(options.method !== undefined ? { method: options.method } : {}),
    retry: options.retry ?? { maxElapsedMs: Infinity, maxDelayMs: 5000 },
    // One claim row per batch: forget those older than a day (replays are of the last few batches).
    bookkeepingRetentionMs: 86_400_000,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  };
  const sink = new PostgresSink<Record<string, unknown>>({
    ...common,
    table,
    columns: [...GROUP_COLUMNS, 'response_count', 'batch_id'],
    createTable: MEETUP_TABLE_TYPES,
    keyColumns: [...GROUP_COLUMNS],
    keyNullsNotDistinct: true,
    mode: 'update',
    offsetCheck: 'contiguous',
    // The totals are the job's state: a damaged table is refused, or rebuilt from the checkpoint.
    ...(options.rebuildTable ? { rebuild: true } : {}),
    sinkId,
  });
  const deadLetters = new PostgresSink<Record<string, unknown>>({
    ...common,
    table: deadTable,
    columns: Object.keys(DEAD_LETTER_TYPES),
    createTable: { ...DEAD_LETTER_TYPES },
    mode: 'append',
    // Written only alongside the totals, under their sink's claim: this id is never used.
    sinkId: `${sinkId}/dead-letters`,
  });
  return { sink, deadLetters };
}

/** The running totals the table holds, as the state to start from. */
async function totalsFromTable(sink: PostgresSink<Record<string, unknown>>): Promise<Array<[RsvpKey, number]>> {
  const n = GROUP_COLUMNS.length;
  return (await sink.readRows()).map((row) => [row.slice(0, n) as RsvpKey, Number(row[n])]);
}

/** Starts the job; resolves once it runs. */
export async function startMeetupJob(options: MeetupJobOptions): Promise<MeetupJob> {
  const log = options.log ?? defaultLog;
  const batchDuration = options.batchDuration ?? 5000;
  const { sink, deadLetters } = meetupSinks({
    ...options,
    onRetry: (e) => log({ event: 'retry', batch: e.batchTime, attempt: e.attempt, delayMs: Math.round(e.delayMs), error: String((e.error as Error)?.message ?? e.error) }),
  });
  const kafkaParams: KafkaParams = {
    'auto.offset.reset': 'earliest',
    ...options.kafkaParams,
    'bootstrap.servers': options.brokers,
  };

  try {
    const resumed = await resumeFromSink({
      checkpointDir: options.checkpointDir,
      sink,
      topics: [options.topic],
      // Every batch writes (an empty one still claims its batch): the checkpoint must match exactly.
      sinkWritesEveryBatch: true,
      log: (message) => log({ event: 'resume', message }),
      create: async (start) => {
        const ssc = new StreamingContext({ batchDuration, appName: 'meetup-rsvps', ...(options.ui !== undefined ? { ui: options.ui } : {}) });
        ssc.checkpoint(options.checkpointDir);
        const tracker = new OffsetTracker();
        const records = tracker.track(KafkaUtils.createDirectStream(ssc, [options.topic], kafkaParams, start.fromOffsets));
        // Resuming from the checkpoint, its state replaces the table's: no need to read the table.
        defineMeetupGraph(records, start.fromCheckpoint ? [] : await totalsFromTable(sink), async (batch) => {
          const offsetRanges = tracker.rangesAt(batch.time);
          const result = await sink.writeBatch(
            { batchTime: batch.time, offsetRanges },
            batch.totals.map(([key, count]) => totalsRow(key, count, batch.time)),
            {
              alongside: [
                {
                  sink: deadLetters,
                  rows: batch.deadLetters.map((d) => ({
                    batch_id: batch.time,
                    category: d.category,
                    reason: d.reason,
                    kafka_key: d.key,
                    payload: d.payload,
                  })),
                },
              ],
              // Asked for only when the sink rebuilds its table (rebuildTable): every key's total.
              fullState: () => batch.fullState().map(([key, count]) => totalsRow(key, count, batch.time)),
            },
          );
          tracker.forget(batch.time);
          log({
            event: 'batch',
            time: batch.time,
            valid: batch.valid,
            malformed: batch.deadLetters.length,
            keys: batch.totals.length,
            skipped: result.skipped,
            ...(result.rebuilt ? { rebuilt: true } : {}),
            attempts: result.attempts,
            until: Object.fromEntries(offsetRanges.map((r) => [`${r.topic}:${r.partition}`, r.untilOffset])),
          });
        });
        return ssc;
      },
    });
    const { ssc, stop } = await startResumed(resumed, log, () => Promise.all([sink.close(), deadLetters.close()]));
    return { ssc, sink, deadLetters, resumed, stop };
  } catch (e) {
    await Promise.all([sink.close(), deadLetters.close()]);
    throw e;
  }
}
