/**
 * The buffers a batch's line slices are copied into before they move to a worker thread, used
 * again once the thread sends them back. A new buffer's pages are only mapped as the copy first
 * writes them, one fault per 4 KiB page: on the VMs we measure on, that made copying a batch
 * into fresh buffers run at ~0.2 GB/s, against several GB/s into a buffer written before
 * (bench/socket-threads.ts).
 *
 * When things happen: `take` hands out the smallest kept buffer that holds `size` bytes, or a
 * new one rounded up to a whole MiB; the view it returns is transferred with the task, and the
 * thread transfers the buffer back with its result (`give`). At most `max` buffers are kept (a
 * batch's slices, one a thread, come back before the next batch takes them): beyond that the
 * smallest is let go. A buffer more than twice the largest of the last `max` sizes asked for (a
 * burst's, say) is let go too, so a burst does not hold its memory for good.
 */
const MIB = 1 << 20;

export class SliceBuffers {
  private readonly kept: ArrayBuffer[] = [];
  /** The last `max` sizes asked for, oldest first. */
  private readonly asked: number[] = [];

  constructor(private readonly max: number) {}

  /** A view of `size` bytes over a buffer of its own (to be transferred whole). */
  take(size: number): Uint8Array {
    this.asked.push(size);
    if (this.asked.length > this.max) this.asked.shift();
    this.dropOversized();
    let best = -1;
    for (let i = 0; i < this.kept.length; i++) {
      const b = this.kept[i]!;
      if (b.byteLength >= size && (best === -1 || b.byteLength < this.kept[best]!.byteLength)) best = i;
    }
    const buffer = best === -1 ? new ArrayBuffer(Math.max(MIB, Math.ceil(size / MIB) * MIB)) : this.kept.splice(best, 1)[0]!;
    return new Uint8Array(buffer, 0, size);
  }

  /** A buffer `take` handed out, back from its thread. */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return; // detached: not ours any more
    this.kept.push(buffer);
    this.dropOversized();
    if (this.kept.length > this.max) {
      let smallest = 0;
      for (let i = 1; i < this.kept.length; i++) if (this.kept[i]!.byteLength < this.kept[smallest]!.byteLength) smallest = i;
      this.kept.splice(smallest, 1);
    }
  }

  /** Let every kept buffer go (an idle pool holds no batch's memory). */
  clear(): void {
    this.kept.length = 0;
    this.asked.length = 0;
  }

  /** Bytes kept for reuse. */
  get keptBytes(): number {
    let n = 0;
    for (const b of this.kept) n += b.byteLength;
    return n;
  }

  private dropOversized(): void {
    if (this.asked.length === 0) return;
    const limit = Math.max(MIB, 2 * Math.max(...this.asked));
    for (let i = this.kept.length - 1; i >= 0; i--) if (this.kept[i]!.byteLength > limit) this.kept.splice(i, 1);
  }
}
