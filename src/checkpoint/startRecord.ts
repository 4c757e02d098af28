/**
 * Where a fresh job's inputs started (`meta/start`), for the crash that comes before its first
 * batch completed. The batch record (`meta/batch`) is written only once a batch completes, so
 * until then a store says nothing of the job, and getOrCreate starts it fresh. For most inputs
 * that loses nothing; an input that looks its starting point up when it starts — a direct Kafka
 * stream at `auto.offset.reset: latest` without committed offsets, Kinesis at LATEST — would
 * start after the records that came while the first run was up, and lose them; a file stream
 * (newFilesOnly) would ignore the files that came. Spark checkpoints a batch as it is generated;
 * here the inputs that decide late (`generatedPosition`) or whose start is a decision
 * (`startingPosition`) record their start instead.
 *
 * When things happen:
 *  - a fresh job's inputs started (StreamingContext.start, before the first batch can be
 *    generated): each such input's position — its `startingPosition`, else its
 *    `generatedPosition` with no batch decided yet — is written with the stream's describing
 *    line and the run's zero time, and awaited; again at each batch generated until one
 *    completes (commitGenerated), with the batches generated and not completed (`pendingTimes`);
 *  - getOrCreate over a store with no batch record and a start record: the job starts fresh (its
 *    initial state), except that each input whose line still matches starts where the first run
 *    started (`restoreCheckpoint` with that position, before it starts); one whose line changed
 *    starts as configured, with a line to the log. When the first run had generated batches
 *    (`firstRunGrid`), the job runs on that run's zero time, so those batches run again at their
 *    times with the data their inputs recorded — as a recovery from a batch record completed at
 *    the zero time would, and as Spark re-runs a generated batch, the first included (a sink that
 *    committed the first batch before the crash can then be proven: exactlyonce/replayProof.ts).
 *    Otherwise it runs on a new zero time;
 *  - the first batch record supersedes it (recovery reads `meta/batch` first).
 */
import type { Checkpointable } from '../dstream/Checkpointable.js';
import type { DStream } from '../dstream/DStream.js';
import { describeStream, streamKey } from './plan.js';

/** The record under `meta/start`. */
export interface StartRecord {
  format: 'dstreams-start';
  appName: string;
  /** By stream key: the stream's describing line and its position (the `meta` its restoreCheckpoint reads). */
  streams: Record<string, { line: string; meta: unknown }>;
  /** The first run's zero time and batch duration (absent in records of older versions). */
  zeroTime?: number;
  batchDuration?: number;
  /** The batches the first run generated and did not complete (absent or empty before it generated one). */
  pendingTimes?: number[];
  /**
   * Set when the first run's state was seeded from results up to this batch (resumeFromSink
   * starting from a sink's table): its batches cannot be re-run from empty state.
   */
  seededFrom?: number;
  writtenAt: number;
}

/** What a start record carries besides the inputs' positions. */
export interface StartGrid {
  zeroTime: number;
  batchDuration: number;
  pendingTimes: readonly number[];
  seededFrom?: number | undefined;
  /**
   * The record a restart restored its inputs from (a first run's batches running again): each
   * input it restored keeps its recorded position — its pending batches' data included — until
   * the first batch is generated again; an input it did not restore (new, or its line changed)
   * is recorded where it started.
   */
  restoredFrom?: StartRecord | undefined;
}

/** The grid of a first run that generated batches: they run again at their times (see the top of this file). */
export interface FirstRunGrid {
  zeroTime: number;
  /** Nothing completed: the zero time, as a batch record's last completed batch would say. */
  lastCompletedTime: number;
  pendingTimes: number[];
}

type Input = DStream<unknown> & Checkpointable;

/** The record of `streams`' starting positions; undefined when none has one. */
export function startRecord(appName: string, streams: readonly Input[], grid: StartGrid): StartRecord | undefined {
  const { zeroTime, restoredFrom } = grid;
  const recorded: StartRecord['streams'] = {};
  let any = false;
  for (const s of streams) {
    const key = streamKey(s);
    const line = describeStream(s);
    const kept = restoredFrom?.streams[key];
    const meta = kept !== undefined && kept.line === line ? kept.meta : (s.startingPosition?.() ?? s.generatedPosition?.(zeroTime));
    if (meta === undefined) continue;
    recorded[key] = { line, meta };
    any = true;
  }
  if (!any) return undefined;
  const { batchDuration, pendingTimes, seededFrom } = grid;
  return {
    format: 'dstreams-start',
    appName,
    streams: recorded,
    zeroTime,
    batchDuration,
    pendingTimes: [...pendingTimes],
    ...(seededFrom !== undefined ? { seededFrom } : {}),
    writtenAt: Date.now(),
  };
}

/**
 * The grid `record`'s first run generated batches on, for a job of `batchDuration` (undefined
 * when it generated none, the record predates the field, or the batch duration changed: then the
 * job runs on a new zero time and its inputs re-decide those batches' data from their positions).
 */
export function firstRunGrid(record: StartRecord, batchDuration: number): FirstRunGrid | undefined {
  const { zeroTime, pendingTimes } = record;
  if (typeof zeroTime !== 'number' || !Number.isFinite(zeroTime) || record.batchDuration !== batchDuration || !Array.isArray(pendingTimes)) {
    return undefined;
  }
  const onGrid = pendingTimes.filter((t): t is number => typeof t === 'number' && t > zeroTime && (t - zeroTime) % batchDuration === 0);
  return onGrid.length > 0 ? { zeroTime, lastCompletedTime: zeroTime, pendingTimes: onGrid } : undefined;
}

/** A stored value as a start record, or undefined when it is not one (then the job starts as configured). */
export function asStartRecord(value: unknown): StartRecord | undefined {
  const r = value as Partial<StartRecord> | undefined;
  return r?.format === 'dstreams-start' && typeof r.streams === 'object' && r.streams !== null ? (r as StartRecord) : undefined;
}

/** Gives each input of `streams` that `record` knows, by key and line, its starting position. */
export async function restoreStart(record: StartRecord, streams: readonly Input[], zeroTime: number, log: (line: string) => void): Promise<void> {
  for (const s of streams) {
    const saved = record.streams[streamKey(s)];
    if (saved === undefined || (typeof s.generatedPosition !== 'function' && typeof s.startingPosition !== 'function')) continue;
    if (saved.line !== describeStream(s)) {
      log(`the input recorded as "${saved.line}" at the first run's start is now "${describeStream(s)}": it starts as configured`);
      continue;
    }
    await s.restoreCheckpoint({ time: zeroTime, state: [], slices: [], meta: saved.meta });
  }
}
