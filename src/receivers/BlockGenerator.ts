/** A block: the records one receiver stored during one block interval. */
export interface Block<T> {
  /** Increasing per input stream, also across restarts of the application when the WAL is on. */
  id: number;
  records: T[];
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Stores of at least this many records are copied whole (a native slice) rather than pushed one by one. */
const BULK = 32;

/** One array of all the segments' records, in order (a segment alone is its own result). */
function concatAll<T>(segments: T[][]): T[] {
  if (segments.length === 1) return segments[0]!;
  let out: T[] = [];
  // concat's arguments in bounded groups: a block of many small stores can have many segments.
  for (let i = 0; i < segments.length; i += 4096) out = out.concat(...segments.slice(i, i + 4096));
  return out;
}

/**
 * Spark's BlockGenerator: collects stored records in a buffer and cuts it into a block every
 * `blockInterval` (and when asked, e.g. when a batch takes its blocks). Each block goes to
 * `onBlock` with a handle to settle the store() calls waiting for it.
 */
export class BlockGenerator<T> {
  /**
   * The records stored since the last cut, as arrays concatenated at the cut: a large store is
   * copied at once (the caller may reuse its array), small ones are pushed into the open last one.
   */
  private segments: T[][] = [];
  private open: T[] | undefined;
  private count = 0;
  private waiting: Deferred | undefined;
  private timer: NodeJS.Timeout | undefined;
  blocksGenerated = 0;

  constructor(
    private readonly intervalMs: number,
    private nextId: number,
    private readonly onBlock: (block: Block<T>, settle: { resolve: () => void; reject: (e: unknown) => void }) => void,
  ) {}

  /** The id the next block will get. */
  get nextBlockId(): number {
    return this.nextId;
  }

  set nextBlockId(id: number) {
    if (this.count > 0 || this.blocksGenerated > 0) throw new Error('block ids already in use');
    this.nextId = id;
  }

  get buffered(): number {
    return this.count;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.cut(), this.intervalMs);
  }

  add(items: readonly T[], from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    this.count += n;
    if (n >= BULK) {
      this.segments.push(items.slice(from, to));
      this.open = undefined;
      return;
    }
    let open = this.open;
    if (open === undefined) this.segments.push((open = this.open = []));
    for (let i = from; i < to; i++) open.push(items[i] as T);
  }

  /** Resolves once the block that will hold the records buffered now has been handled by `onBlock`. */
  whenBlockDone(): Promise<void> {
    return (this.waiting ??= deferred()).promise;
  }

  /** Cuts the buffer into a block now (nothing when it is empty). */
  cut(): void {
    if (this.count === 0) return;
    const block: Block<T> = { id: this.nextId++, records: concatAll(this.segments) };
    this.segments = [];
    this.open = undefined;
    this.count = 0;
    const w = this.waiting;
    this.waiting = undefined;
    this.blocksGenerated++;
    this.onBlock(block, { resolve: () => w?.resolve(), reject: (e) => w?.reject(e) });
  }

  /** Stops the timer and cuts what is left. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.cut();
  }
}
