import type { DStream } from '../dstream/DStream.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { isCheckpointable, type Checkpointable, type StreamCheckpoint } from '../dstream/Checkpointable.js';
import { CheckpointStore, type CheckpointCommit, type SliceChange, type StateChange } from './CheckpointStore.js';
import { CheckpointError } from './errors.js';
import type { StateKey } from './codec.js';

/** The record each completed batch writes under `meta/batch`. */
export interface CheckpointMeta {
  format: 'dstreams-batch-meta';
  appName: string;
  batchDuration: number;
  zeroTime: number;
  /** The last batch whose outputs all completed and whose state is in this checkpoint. */
  lastCompletedTime: number;
  /** Batches generated but not completed when it was written: recovery runs them again. */
  pendingTimes: number[];
  /** One line per stream, in creation order: how recovery checks it got the same graph. */
  graph: string[];
  /** Each checkpointable stream's small per-batch value (an input's position, a window's shape). */
  streams: Record<string, unknown>;
  writtenAt: number;
}

/** The describing line of one stream; two graphs match when every line matches. */
export function describeStream(s: DStream<unknown>): string {
  const parts = [`#${s.id} ${s.kind}`, `slide=${s.slideDuration}`];
  const windowDuration = (s as { windowDuration?: unknown }).windowDuration;
  if (typeof windowDuration === 'number') parts.push(`window=${windowDuration}`);
  parts.push(`deps=[${s.dependencies.map((d) => d.id).join(',')}]`);
  return parts.join(' ');
}

const streamKey = (s: DStream<unknown>): string => `s${s.id}`;

export interface CheckpointerOptions {
  /**
   * Write each batch's commit while the next batch runs (Spark writes its checkpoints
   * asynchronously) instead of before the batch completes. Higher throughput; the price: a
   * batch may be reported completed before its commit is durable, so a crash can re-run the
   * last completed batch too (its outputs run again). Default false.
   */
  overlapWrites?: boolean;
}

/**
 * Writes one atomic checkpoint per completed batch — the batch metadata and what every
 * checkpointable stream changed in that batch — and restores them on recovery.
 */
export class Checkpointer {
  private readonly checkpointables: Array<DStream<unknown> & Checkpointable>;
  private readonly streamMeta: Record<string, unknown> = {};
  /** Streams that have written a complete copy since this context started (the first commit is full). */
  private readonly written = new Set<string>();
  private commits = 0;
  /** The last batch the store holds as completed (undefined until one did in this store). */
  private lastCompleted: CheckpointMeta | undefined;
  /** The LevelDB write of the last commit, while in flight: the next commit and close() wait for it. */
  private writing: Promise<void> | undefined;

  private constructor(
    readonly store: CheckpointStore,
    private readonly graph: DStreamGraph,
    private readonly appName: string,
    private readonly options: CheckpointerOptions,
  ) {
    this.checkpointables = graph.streams.filter(isCheckpointable) as Array<DStream<unknown> & Checkpointable>;
  }

  static async open(graph: DStreamGraph, dir: string, appName: string, options: CheckpointerOptions = {}): Promise<Checkpointer> {
    return new Checkpointer(await CheckpointStore.open(dir), graph, appName, options);
  }

  /** What the store's last completed batch recorded, or undefined for a store with no batch yet. */
  async readMeta(): Promise<CheckpointMeta | undefined> {
    const meta = await this.store.readMeta<CheckpointMeta>();
    if (meta === undefined) return undefined;
    if (meta?.format !== 'dstreams-batch-meta') {
      throw new CheckpointError(
        'INCOMPATIBLE_VERSION',
        this.store.dir,
        `checkpoint in ${this.store.dir} has no dstreams batch record this version understands`,
      );
    }
    return meta;
  }

  /** Throws naming the first difference between the checkpointed graph and this one. */
  checkGraph(meta: CheckpointMeta): void {
    const dir = this.store.dir;
    if (meta.batchDuration !== this.graph.batchDuration) {
      throw new Error(
        `the graph does not match the checkpoint in ${dir}: batchDuration is ${this.graph.batchDuration} ms, the checkpoint has ${meta.batchDuration} ms`,
      );
    }
    const now = this.graph.streams.map(describeStream);
    const n = Math.max(now.length, meta.graph.length);
    for (let i = 0; i < n; i++) {
      if (now[i] !== meta.graph[i]) {
        throw new Error(
          `the graph does not match the checkpoint in ${dir}: stream ${i} is ` +
            `${now[i] === undefined ? 'missing' : `"${now[i]}"`}, the checkpoint has ` +
            `${meta.graph[i] === undefined ? 'no such stream' : `"${meta.graph[i]}"`}`,
        );
      }
    }
  }

  /** Give every checkpointable stream back what the store holds for it. */
  async restore(meta: CheckpointMeta): Promise<void> {
    for (const s of this.checkpointables) {
      const key = streamKey(s);
      const [state, slices] = await Promise.all([this.store.loadState(key), this.store.readSlices(key)]);
      this.streamMeta[key] = meta.streams[key];
      this.written.add(key);
      await s.restoreCheckpoint({ time: meta.lastCompletedTime, state, slices, meta: meta.streams[key] });
    }
    this.lastCompleted = meta;
  }

  /**
   * After batch `time`'s inputs decided its data: record the positions of the inputs that
   * decide late (`generatedPosition`) in a metadata-only commit, the last completed batch
   * unchanged. Nothing to write before the first batch completed (a crash then starts fresh
   * from the inputs' own starting points) or when no input decides late.
   */
  async commitGenerated(time: number, pendingTimes: number[]): Promise<void> {
    const last = this.lastCompleted;
    if (last === undefined) return;
    let changed = false;
    for (const s of this.checkpointables) {
      if (typeof s.generatedPosition !== 'function') continue;
      this.streamMeta[streamKey(s)] = s.generatedPosition(last.lastCompletedTime);
      changed = true;
    }
    if (!changed) return;
    await this.flush();
    const pending = [...new Set([time, ...pendingTimes])].sort((a, b) => a - b);
    const meta: CheckpointMeta = { ...last, pendingTimes: pending, streams: { ...this.streamMeta }, writtenAt: Date.now() };
    const writing = this.store.enqueue({ meta });
    writing.catch(() => {});
    this.writing = writing;
    await this.flush();
  }

  /**
   * Write batch `time`'s checkpoint in one atomic commit; resolves once it is durable. With
   * `overlapWrites`, resolves as soon as the commit is encoded (the streams may change their
   * state from then on) and the previous batch's commit is durable: this commit's LevelDB write
   * (and fsync) goes on while the next batch runs, and the next commitBatch, or close(), waits
   * for it and throws its error.
   *
   * Streams rely on this order: when checkpointDelta(t) is called, the commit that holds their
   * previous delta is durable.
   */
  async commitBatch(time: number, pendingTimes: number[]): Promise<void> {
    await this.flush();
    const state = new Map<string, StateChange>();
    const slices = new Map<string, SliceChange>();
    for (const s of this.checkpointables) {
      const key = streamKey(s);
      const full = !this.written.has(key);
      const delta: StreamCheckpoint | undefined = s.checkpointDelta(time, full);
      this.written.add(key);
      if (!delta) continue;
      if (delta.state) {
        const { replace, puts, deletes } = delta.state;
        state.set(key, replace ? { replace, puts: puts as [StateKey, unknown][] } : { puts: puts as [StateKey, unknown][], deletes: deletes as StateKey[] });
      }
      if (delta.slices) slices.set(key, { puts: delta.slices.puts, deletes: delta.slices.deletes });
      if (delta.meta !== undefined) this.streamMeta[key] = delta.meta;
    }
    const meta: CheckpointMeta = {
      format: 'dstreams-batch-meta',
      appName: this.appName,
      batchDuration: this.graph.batchDuration,
      zeroTime: this.graph.zeroTime!,
      lastCompletedTime: time,
      pendingTimes,
      graph: this.graph.streams.map(describeStream),
      streams: { ...this.streamMeta },
      writtenAt: Date.now(),
    };
    const commit: CheckpointCommit = { meta, state, slices };
    this.lastCompleted = meta;
    const writing = this.store.enqueue(commit); // throws when the commit cannot be encoded
    writing.catch(() => {}); // awaited by flush()
    this.writing = writing;
    this.commits++;
    if (!this.options.overlapWrites) await this.flush();
  }

  /** Waits until the last commit is durable; throws its write's error. */
  async flush(): Promise<void> {
    const writing = this.writing;
    this.writing = undefined;
    await writing;
  }

  /** LevelDB compaction, every checkpoint interval: keeps the store's size and reads in check. */
  async compact(): Promise<void> {
    await this.store.compact();
  }

  get commitCount(): number {
    return this.commits;
  }

  /** Waits for the last commit's write (throwing its error), then closes the store. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.store.close();
    }
  }
}
