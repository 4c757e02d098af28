/**
 * End-to-end exactly once with a direct Kafka stream and a PostgresSink.
 *
 * The sink commits each batch's rows together with the batch's identity — `(sinkId, batch time)`
 * and the Kafka offset ranges the batch read — in one transaction. What remains is to restart
 * from the right place:
 *
 * - the checkpoint (`StreamingContext.getOrCreate`) holds the state and the stream's position
 *   as of the last batch it completed, and the offset ranges of the batches decided after it;
 * - PostgreSQL holds the results and the offsets as of the last batch the sink committed.
 *
 * The sink commits before the checkpoint does (a batch completes after its output), so after a
 * crash the checkpoint is either in step with PostgreSQL or behind it. In step, resume from the
 * checkpoint: the batches it re-runs were not committed. Behind, the checkpoint re-runs batches
 * the sink has committed — exactly, when it holds their ranges and the last of them ends at the
 * offsets the sink stored (replayProof.ts): a direct stream records a batch's ranges before its
 * outputs run, so that is the usual case; the re-run rebuilds the state and the windows, and the
 * sink skips what it committed. The same holds before the checkpoint recorded any completed
 * batch: its start record keeps the first run's zero time and the ranges of the batches it
 * generated (checkpoint/startRecord.ts), so a crash right after the sink committed the first batch
 * re-runs it too. When that cannot be proven (another input, a record missing or
 * not ending at the sink's offsets) a re-cut batch could read more than was committed, which the
 * sink would skip whole: the checkpoint is set aside and the job starts from PostgreSQL — the
 * stream from `sink.storedOffsets()`, the state from the result table — with a warning naming the
 * windows and states the table cannot give back. {@link resumeFromSink} makes that decision;
 * {@link OffsetTracker} hands each batch's offset ranges to the output that writes it.
 */
import { rename, rm } from 'node:fs/promises';
import { CheckpointStore } from '../checkpoint/index.js';
import { StreamingContext } from '../context/StreamingContext.js';
import { namingEveryPartitionRead } from '../direct/completeOffsets.js';
import type { DStream } from '../dstream/DStream.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import type { RDD } from '../rdd/RDD.js';
import type { PostgresSink } from '../sinks/postgres/index.js';
import { proveReplay, streamsNotRebuilt } from './replayProof.js';

/**
 * The offsets stored by `sink` for `topics`, as `createDirectStream`'s `fromOffsets`
 * (`{ "topic:partition": offset }`), or undefined when it stored none for them (the stream then
 * starts as its `auto.offset.reset` says). They name every partition of their topics the job
 * read, and say so (direct/completeOffsets.ts): a partition added since starts at its log start.
 */
export async function storedFromOffsets(
  sink: PostgresSink<any>,
  topics: readonly string[],
): Promise<Record<string, number> | undefined> {
  const stored = await sink.storedOffsets();
  const wanted = new Set(topics);
  const out: Record<string, number> = {};
  for (const [tp, offset] of Object.entries(stored)) {
    const topic = tp.slice(0, tp.lastIndexOf(':'));
    if (wanted.has(topic)) out[tp] = offset;
  }
  return Object.keys(out).length > 0 ? namingEveryPartitionRead(out) : undefined;
}

/**
 * Remembers the offset ranges of each batch of a direct stream, for an output further down the
 * graph whose RDD is no longer the Kafka RDD (Spark's `transform { rdd => offsetRanges = …; rdd }`).
 * It keeps each batch's ranges — a few numbers per partition — not its RDD, whose records would
 * otherwise stay in memory until the batch is forgotten. Call {@link forget} once a batch is
 * written (`foreachBatchTo` does).
 */
export class OffsetTracker {
  /**
   * Each batch's ranges; or, for a batch whose ranges were not decided when it was tracked, its
   * RDD until they are first asked for.
   */
  private readonly byTime = new Map<number, OffsetRange[] | { offsetRanges(): OffsetRange[] }>();

  /** `stream`, passed through; each batch's offset ranges are remembered under its time for {@link rangesAt}. */
  track<T>(stream: DStream<T>): DStream<T> {
    return stream.transform((rdd: RDD<T>, time: number) => {
      const kafkaRdd = rdd as RDD<T> & { offsetRanges?: () => OffsetRange[] };
      if (typeof kafkaRdd.offsetRanges !== 'function') {
        throw new Error('OffsetTracker.track: the stream’s RDDs have no offsetRanges() (track the direct Kafka stream itself)');
      }
      // A direct stream decides a batch's ranges before it computes the batch's RDD; should they
      // not be known yet, the RDD is asked again when the output asks.
      let entry: OffsetRange[] | { offsetRanges(): OffsetRange[] };
      try {
        entry = kafkaRdd.offsetRanges().map((r) => ({ ...r }));
      } catch {
        entry = kafkaRdd as { offsetRanges(): OffsetRange[] };
      }
      this.byTime.set(time, entry);
      return rdd;
    });
  }

  /** The ranges of batch `time`; throws when the batch was not tracked. */
  rangesAt(time: number): OffsetRange[] {
    let entry = this.byTime.get(time);
    if (entry === undefined) throw new Error(`OffsetTracker: no offset ranges recorded for batch ${time}`);
    if (!Array.isArray(entry)) {
      entry = entry.offsetRanges();
      this.byTime.set(time, entry);
    }
    return entry.map((r) => ({ ...r }));
  }

  /** Forgets the batches up to `time` (call once they are written). */
  forget(time: number): void {
    for (const t of this.byTime.keys()) if (t <= time) this.byTime.delete(t);
  }
}

/** What `create` is told about where the job starts when the checkpoint is not used. */
export interface StartFromSink {
  /** The sink's stored offsets for the topics, for `createDirectStream(…, fromOffsets)`; undefined when none. */
  fromOffsets: Record<string, number> | undefined;
  /** The sink's last committed batch time, if any. */
  lastCommitted: number | undefined;
  /**
   * True when the context `create` returns will resume from the checkpoint, whose state and
   * positions replace whatever `create` starts from: no need to read the table as initial state.
   * False: the job starts from the sink — the table is the state. (When a checkpoint turns out
   * unusable, `create` is called again with false.)
   */
  fromCheckpoint: boolean;
}

export interface ResumeOptions {
  checkpointDir: string;
  /** The sink whose committed batches decide (the one written every batch, with the offsets). */
  sink: PostgresSink<any>;
  /** The topics of the direct stream. */
  topics: readonly string[];
  /**
   * Defines the job, for `StreamingContext.getOrCreate`: a new, unstarted context whose graph is
   * the same on every run (JavaScript cannot ship closures, so the job's own code builds it every
   * time), whose direct stream starts from `start.fromOffsets` and whose state starts from what
   * the sink's table holds (`sink.readRows()`) unless `start.fromCheckpoint` says the checkpoint
   * replaces both. It must not start the context.
   */
  create: (start: StartFromSink) => StreamingContext | Promise<StreamingContext>;
  /**
   * The job writes every batch to the sink (as the meetup job does; not one that writes every N
   * batches): then a checkpoint *ahead* of the sink — the tables were emptied or restored from
   * an older backup — is set aside, and the job rebuilds from what PostgreSQL holds. Default
   * false: a checkpoint ahead of the sink is used (the batches since the sink's last write are in
   * its state). Either way a checkpoint behind the sink is used when it re-runs the sink's
   * batches exactly (see the top of this file).
   */
  sinkWritesEveryBatch?: boolean;
  /** Where a checkpoint set aside is moved (default `<checkpointDir>.stale`, replacing an older one). */
  staleDir?: string;
  /** Told what was decided and why. */
  log?: (message: string) => void;
  /**
   * Told when the job starts from the sink although a checkpoint held windows or state the table
   * cannot give back (they restart at the sink's offsets). Default: `log` when given, else console.warn.
   */
  warn?: (message: string) => void;
}

export interface Resumed {
  ssc: StreamingContext;
  /** `checkpoint`: resumed from the checkpoint; `sink`: started from the sink's offsets and table. */
  source: 'checkpoint' | 'sink';
  /** The checkpoint's last completed batch, when there was one (none: a first run that completed no batch). */
  recoveredFrom: number | undefined;
  lastCommitted: number | undefined;
  fromOffsets: Record<string, number> | undefined;
  /** Set when a checkpoint was set aside (moved here). */
  staleCheckpoint?: string;
  /**
   * Resumed from a checkpoint behind the sink: the batches it runs again that the sink has
   * committed (with the ranges they had; the sink skips them).
   */
  replayed?: number[];
  /**
   * Started from the sink with a checkpoint there: the streams (their describing lines) whose
   * contents the table cannot give back — windows restart empty, states from what `create`
   * seeds them with; what they held of the records before `fromOffsets` is gone from them.
   */
  notRebuilt?: { windows: string[]; states: string[] };
}

/**
 * Builds the job's context, resuming from the checkpoint when it is in step with (or, unless
 * `sinkWritesEveryBatch`, ahead of) what the sink committed, or behind it and proven to re-run the
 * sink's batches exactly (replayProof.ts), else from the sink (see the top of this file). A
 * checkpoint with no completed batch (a first run that crashed before its first batch completed):
 * with a sink holding no offsets for the topics, the job starts from the sink's table, its inputs
 * where that first run's started (the store's start record, as getOrCreate does); with a sink that
 * committed the first run's batches, those run again on its grid when the start record proves
 * their ranges (source `checkpoint`, `recoveredFrom` undefined), else the job starts from the sink.
 */
export async function resumeFromSink(options: ResumeOptions): Promise<Resumed> {
  const { checkpointDir, sink, topics, create, log = () => undefined } = options;
  const warn = options.warn ?? options.log ?? ((m: string) => console.warn(`dstreams: ${m}`));
  // The sink's first use runs its table check: a damaged result table is refused here, before
  // anything starts — unless the sink was made with `rebuild`, then `tableDamage` says what it found.
  const lastCommitted = await sink.lastCommittedBatchTime();
  const fromOffsets = await storedFromOffsets(sink, topics);
  const hasCheckpoint = await CheckpointStore.exists(checkpointDir);
  const damage = sink.tableDamage;
  if (damage !== undefined && !hasCheckpoint) {
    throw new Error(
      `cannot rebuild table ${damage.table} (${damage.kind}): there is no checkpoint in ${checkpointDir} to rebuild it from. ` +
        `Start over from earlier offsets instead (sink.startOver())`,
    );
  }
  // Started from the sink: `create` seeds state from the table, which holds the results up to
  // `lastCommitted` — the start record says so, so a crash before this run's first batch completed
  // does not re-run its batches from empty state (below).
  const seeded = (ssc: StreamingContext): StreamingContext => {
    if (lastCommitted !== undefined) ssc.seededFrom = lastCommitted;
    return ssc;
  };
  const fresh = async (): Promise<StreamingContext> => seeded(await create({ fromOffsets, lastCommitted, fromCheckpoint: false }));
  // Starting from the sink needs its offsets: a sink that committed batches without them (a
  // writer on a stream derived from the direct stream, given no `offsetRanges`) cannot say where
  // the input goes on, and auto.offset.reset would lose (latest) or repeat (earliest) records.
  const checkSinkOffsets = async (started: StreamingContext): Promise<void> => {
    if (lastCommitted === undefined || fromOffsets !== undefined) return;
    // Offsets for other topics: the writes carried them, the topics changed (they start as auto.offset.reset says).
    if (Object.keys(await sink.storedOffsets()).length > 0) return;
    await started.stop();
    throw new Error(
      `the sink has committed batches (the last at ${lastCommitted}) but holds no offsets for topics ${topics.join(', ')}: ` +
        'its writes carried no Kafka offset ranges, so it cannot say where the input goes on. ' +
        'A writer on a stream derived from the direct stream needs them: sink.writer(f, { offsetRanges: (_rdd, time) => tracker.rangesAt(time) }) with an OffsetTracker',
    );
  };

  let ssc = await StreamingContext.getOrCreate(checkpointDir, async () => {
    const created = await create({ fromOffsets, lastCommitted, fromCheckpoint: hasCheckpoint });
    return hasCheckpoint ? created : seeded(created);
  });
  if (ssc.applicationId !== undefined) {
    // Its copies own partitions by the group's say: its checkpoint cannot be proven against the
    // sink's (all copies') claims, and `create` seeding state from the whole table would give
    // each copy keys it does not own. Its restart is the group's (docs/scale-out.md).
    await ssc.stop();
    throw new Error(
      `resumeFromSink is for a job of one process, and this one is scaled out (applicationId '${ssc.applicationId}'): ` +
        'its copies resume from the offsets their group committed and their changelogs. Write its results with ' +
        'writeFenced(stream, sink, toRow) and start it with job.create or getOrCreate (docs/scale-out.md)',
    );
  }
  const recoveredFrom = ssc.recoveredFrom;
  if (recoveredFrom === undefined) {
    if (damage !== undefined) {
      await ssc.stop();
      throw new Error(`cannot rebuild table ${damage.table} (${damage.kind}): the checkpoint in ${checkpointDir} has no completed batch`);
    }
    if (hasCheckpoint) {
      // A store without a completed batch: `create` skipped the table; build the job again from it
      // (unless the start record re-runs what the sink committed).
      if (fromOffsets === undefined) {
        await ssc.stop();
        // The sink holds no offsets: a first run that completed no batch. The store's start record
        // (meta/start, checkpoint/startRecord.ts) says where its inputs started; getOrCreate
        // restores it — else a direct stream at auto.offset.reset latest would skip the records
        // that came while that run was up.
        ssc = await StreamingContext.getOrCreate(checkpointDir, fresh);
      } else {
        // The first run generated the batches the sink committed and the crash came before the
        // checkpoint recorded one as completed: if the start record holds their ranges up to the
        // sink's offsets, they run again on that run's grid (the sink skips them), windows and
        // state included — `create` was told fromCheckpoint, so it did not seed state from the table.
        const zero = ssc.firstRunZeroTime;
        const seededFrom = ssc.firstRunSeededFrom;
        const proof =
          zero === undefined || lastCommitted === undefined
            ? undefined
            : seededFrom !== undefined
              ? {
                  exact: false as const,
                  reason: `its first run started from the sink's table (results up to batch ${seededFrom}), which a re-run of its batches from empty state would leave out`,
                }
              : proveReplay(ssc, zero, lastCommitted, topics, fromOffsets);
        if (proof?.exact) {
          log(
            `resuming from the checkpoint's start record (its first run completed no batch), behind the sink (last committed ${lastCommitted}): ` +
              `it holds the offset ranges of batch${proof.batches.length > 1 ? 'es' : ''} ${proof.batches.join(', ')}, up to the sink's offsets ` +
              `${JSON.stringify(fromOffsets)}, which run again exactly (the sink skips what it committed)`,
          );
          return { ssc, source: 'checkpoint', recoveredFrom, lastCommitted, fromOffsets, replayed: proof.batches };
        }
        // The sink's offsets (its committed batches) are where the job goes on: the first run's
        // batches cannot be re-run as claimed (the reason is in the warning).
        await ssc.stop();
        ssc = await fresh();
        if (ssc.checkpointDir !== checkpointDir) ssc.checkpoint(checkpointDir);
        await checkSinkOffsets(ssc);
        log(`starting from the sink: offsets ${JSON.stringify(fromOffsets)} (the checkpoint in ${checkpointDir} has no completed batch)`);
        const cause = proof === undefined ? 'the checkpoint has no completed batch' : `the checkpoint has no completed batch and its first run's cannot be re-run exactly: ${proof.reason}`;
        const notRebuilt = warnNotRebuilt(ssc, cause, fromOffsets, warn);
        return { ssc, source: 'sink', recoveredFrom, lastCommitted, fromOffsets, ...(notRebuilt ? { notRebuilt } : {}) };
      }
    }
    await checkSinkOffsets(ssc);
    log(
      `starting from the sink: offsets ${JSON.stringify(
        fromOffsets ?? (hasCheckpoint ? "none (where the checkpoint's first run started, else auto.offset.reset)" : 'none (auto.offset.reset)'),
      )}`,
    );
    return { ssc, source: 'sink', recoveredFrom, lastCommitted, fromOffsets };
  }
  if (damage !== undefined) {
    // The table is not the state: the checkpoint is, whatever its relation to the sink (the sink
    // rebuilds at the first batch at or after its last commit; earlier ones replay as skipped).
    log(
      `rebuilding table ${damage.table} (${damage.kind}) from the checkpoint (last completed batch ${recoveredFrom}, ` +
        `sink's last ${lastCommitted ?? 'none'})`,
    );
    return { ssc, source: 'checkpoint', recoveredFrom, lastCommitted, fromOffsets };
  }
  const behind = lastCommitted !== undefined && recoveredFrom < lastCommitted;
  const inStep = options.sinkWritesEveryBatch ? recoveredFrom === lastCommitted : !behind;
  if (inStep) {
    log(`resuming from the checkpoint (last completed batch ${recoveredFrom}, sink's last ${lastCommitted ?? 'none'})`);
    return { ssc, source: 'checkpoint', recoveredFrom, lastCommitted, fromOffsets };
  }
  let why = 'it has batches the sink does not (sinkWritesEveryBatch)';
  if (behind) {
    const proof = proveReplay(ssc, recoveredFrom, lastCommitted, topics, fromOffsets ?? {});
    if (proof.exact) {
      log(
        `resuming from the checkpoint (last completed batch ${recoveredFrom}), behind the sink (last committed ${lastCommitted}): ` +
          `it holds the offset ranges of batch${proof.batches.length > 1 ? 'es' : ''} ${proof.batches.join(', ')}, up to the sink's offsets ` +
          `${JSON.stringify(fromOffsets ?? {})}, which run again exactly (the sink skips what it committed)`,
      );
      return { ssc, source: 'checkpoint', recoveredFrom, lastCommitted, fromOffsets, replayed: proof.batches };
    }
    why = `its re-run cannot be proven exact: ${proof.reason}`;
  }

  // Start from the sink.
  await checkSinkOffsets(ssc);
  await ssc.stop();
  const staleDir = options.staleDir ?? `${checkpointDir}.stale`;
  await rm(staleDir, { recursive: true, force: true });
  await rename(checkpointDir, staleDir);
  const relation = behind ? 'behind' : 'ahead of';
  log(
    `checkpoint (last completed batch ${recoveredFrom}) is ${relation} the sink (last committed ${lastCommitted ?? 'none'}) and ${why}: ` +
      `moved to ${staleDir}; starting from the sink's offsets ${JSON.stringify(fromOffsets ?? {})}`,
  );
  const started = await fresh();
  if (started.checkpointDir !== checkpointDir) started.checkpoint(checkpointDir);
  const notRebuilt = warnNotRebuilt(started, `the checkpoint was set aside (${why})`, fromOffsets, warn);
  return { ssc: started, source: 'sink', recoveredFrom, lastCommitted, fromOffsets, staleCheckpoint: staleDir, ...(notRebuilt ? { notRebuilt } : {}) };
}

/**
 * Says which streams of `ssc`, starting from the sink, lose what the checkpoint held (undefined
 * when it has none): the table holds results, not a window's batches nor every state.
 */
const listed = (lines: string[]): string => lines.map((l) => `[${l}]`).join(', ');

function warnNotRebuilt(
  ssc: StreamingContext,
  cause: string,
  fromOffsets: Record<string, number> | undefined,
  warn: (message: string) => void,
): { windows: string[]; states: string[] } | undefined {
  const lost = streamsNotRebuilt(ssc);
  if (lost.windows.length === 0 && lost.states.length === 0) return undefined;
  const at = fromOffsets ? `the sink's offsets ${JSON.stringify(fromOffsets)}` : 'where auto.offset.reset puts the stream';
  const parts = [
    ...(lost.windows.length > 0
      ? [lost.windows.length > 1 ? `windows ${listed(lost.windows)} restart empty` : `window ${listed(lost.windows)} restarts empty`]
      : []),
    ...(lost.states.length > 0
      ? [
          lost.states.length > 1
            ? `states ${listed(lost.states)} restart from what create seeds them with`
            : `state ${listed(lost.states)} restarts from what create seeds it with`,
        ]
      : []),
  ];
  warn(
    `${cause}: the job starts from ${at}, and ${parts.join('; ')}. ` +
      'The table cannot give their contents back: records before those offsets are not in them (a window\'s results miss them until they leave the window)',
  );
  return lost;
}
