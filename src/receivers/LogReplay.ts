import type { Block } from './BlockGenerator.js';
import type { FileWriteAheadLog } from './WriteAheadLog.js';

type SizedBlock<T> = Block<T> & { bytes: number };

/**
 * A receiver's write-ahead log replayed after a crash, a segment at a time: the blocks past the
 * checkpointed position go back into batches without the whole log ever being in memory.
 * Blocks of the batches the checkpoint recorded as pending go to those batches (`reserved`),
 * exactly as they were; the others wait here, in id order, and each batch takes them up to its
 * cap (rate/BatchCap.ts) — a log that grew long while the job was behind becomes several
 * bounded batches, not one.
 *
 * When things happen: `fill` (from the stream's prepareBatch, before batch t is computed) loads
 * segments until every pending batch up to t has its blocks and a batch's worth waits; `take`
 * (from compute) hands the waiting blocks over. Live blocks received meanwhile wait behind the
 * replay (block ids are consumed in order).
 */
export class LogReplay<T> {
  private readonly segments: Array<{ name: string; size: number }>;
  private nextSegment = 0;
  private readonly waiting: SizedBlock<T>[] = [];
  private waitingRecords = 0;
  private waitingBytes = 0;
  /** The highest block id loaded so far. */
  private loadedUpTo: number;
  /** Records read from the log (figures, tests). */
  replayedRecords = 0;

  constructor(
    private readonly wal: FileWriteAheadLog<T>,
    private readonly position: number,
    private readonly pending: ReadonlyArray<readonly [time: number, first: number, last: number]>,
    private readonly reserved: Map<number, Block<T>[]>,
  ) {
    this.segments = wal.segmentsAfter(position);
    this.loadedUpTo = position;
  }

  /** Nothing left to replay: every logged block was loaded and taken. */
  get done(): boolean {
    return this.nextSegment >= this.segments.length && this.waiting.length === 0;
  }

  /** Bytes (as logged) still to replay, loaded or not. */
  get backlogBytes(): number {
    let n = this.waitingBytes;
    for (let i = this.nextSegment; i < this.segments.length; i++) n += this.segments[i]!.size;
    return n;
  }

  /** Records loaded and waiting for a batch. */
  get backlogRecords(): number {
    return this.waitingRecords;
  }

  /** Loads segments until the pending batches up to `time` have their blocks and `records` wait; undefined when there is nothing to load. */
  fill(time: number, records: number): Promise<void> | undefined {
    if (!this.needsMore(time, records)) return undefined;
    return (async () => {
      while (this.needsMore(time, records)) await this.loadNext();
    })();
  }

  private needsMore(time: number, records: number): boolean {
    if (this.nextSegment >= this.segments.length) return false;
    for (const [t, , last] of this.pending) if (t <= time && last > this.loadedUpTo) return true;
    return this.waitingRecords < records;
  }

  private async loadNext(): Promise<void> {
    const seg = this.segments[this.nextSegment++]!;
    for (const b of await this.wal.readSegment(seg.name, this.position)) {
      if (b.id <= this.loadedUpTo) continue;
      this.loadedUpTo = b.id;
      this.replayedRecords += b.records.length;
      const p = this.pending.find(([, first, last]) => b.id >= first && b.id <= last);
      if (p) {
        let r = this.reserved.get(p[0]);
        if (!r) this.reserved.set(p[0], (r = []));
        r.push({ id: b.id, records: b.records });
      } else {
        this.waiting.push(b);
        this.waitingRecords += b.records.length;
        this.waitingBytes += b.bytes;
      }
    }
  }

  /** The waiting blocks, in order, up to `records` records (at least one block), and their logged bytes. */
  take(records: number): { blocks: Block<T>[]; bytes: number } {
    const blocks: Block<T>[] = [];
    let n = 0;
    let bytes = 0;
    while (this.waiting.length > 0) {
      const b = this.waiting[0]!;
      if (blocks.length > 0 && n + b.records.length > records) break;
      this.waiting.shift();
      blocks.push({ id: b.id, records: b.records });
      n += b.records.length;
      bytes += b.bytes;
    }
    this.waitingRecords -= n;
    this.waitingBytes -= bytes;
    return { blocks, bytes };
  }
}
