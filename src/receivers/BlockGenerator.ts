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

/**
 * Spark's BlockGenerator: collects stored records in a buffer and cuts it into a block every
 * `blockInterval` (and when asked, e.g. when a batch takes its blocks). Each block goes to
 * `onBlock` with a handle to settle the store() calls waiting for it.
 */
export class BlockGenerator<T> {
  private buffer: T[] = [];
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
    if (this.buffer.length > 0 || this.blocksGenerated > 0) throw new Error('block ids already in use');
    this.nextId = id;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.cut(), this.intervalMs);
  }

  add(items: readonly T[], from: number, to: number): void {
    const buf = this.buffer;
    for (let i = from; i < to; i++) buf.push(items[i] as T);
  }

  /** Resolves once the block that will hold the records buffered now has been handled by `onBlock`. */
  whenBlockDone(): Promise<void> {
    return (this.waiting ??= deferred()).promise;
  }

  /** Cuts the buffer into a block now (nothing when it is empty). */
  cut(): void {
    if (this.buffer.length === 0) return;
    const block: Block<T> = { id: this.nextId++, records: this.buffer };
    this.buffer = [];
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
