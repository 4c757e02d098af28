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
 *    line, and awaited; again at each batch generated until one completes (commitGenerated);
 *  - getOrCreate over a store with no batch record and a start record: the job starts fresh (its
 *    initial state, a new zero time), except that each input whose line still matches starts
 *    where the first run started (`restoreCheckpoint` with that position, before it starts);
 *    one whose line changed starts as configured, with a line to the log;
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
  writtenAt: number;
}

type Input = DStream<unknown> & Checkpointable;

/** The record of `streams`' starting positions; undefined when none has one. */
export function startRecord(appName: string, streams: readonly Input[], zeroTime: number): StartRecord | undefined {
  const recorded: StartRecord['streams'] = {};
  let any = false;
  for (const s of streams) {
    const meta = s.startingPosition?.() ?? s.generatedPosition?.(zeroTime);
    if (meta === undefined) continue;
    recorded[streamKey(s)] = { line: describeStream(s), meta };
    any = true;
  }
  return any ? { format: 'dstreams-start', appName, streams: recorded, writtenAt: Date.now() } : undefined;
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
