/**
 * An array a batch fills front to back, started at the length its counterpart reached in the
 * batch before: pushing a batch's items one by one grew the array (leaving its smaller copies
 * behind as garbage) ~log1.5(n) times: mapWithState's such arrays were a fifth of all the bytes
 * a run of bench/latency.ts at 1 M records/s allocated.
 *
 * The array is made at the first item, not before: an array of a few hundred thousand slots takes
 * milliseconds to make and fills the young generation (a scavenge sooner), and once the batches
 * run late a socket's batches alternate between ~300 k records and none.
 */
export class Appender<T> {
  private items: T[] | undefined;
  length = 0;

  constructor(
    private readonly expected: number,
    /** An array nothing reads any more, to fill instead of a new one (its old items are overwritten or cut off). */
    private readonly reuse?: () => unknown[] | undefined,
  ) {}

  add(item: T): void {
    const i = this.length;
    // A quarter more than the last batch's: batches vary, and one a little larger would still grow it.
    const items = (this.items ??= (this.reuse?.() as T[] | undefined) ?? new Array<T>(this.expected + (this.expected >>> 2)));
    if (i < items.length) items[i] = item;
    else items.push(item);
    this.length = i + 1;
  }

  /** Replaces item `i` (one already added). */
  set(i: number, item: T): void {
    this.items![i] = item;
  }

  /** The items added, in order (the array itself, cut to their number). */
  done(): T[] {
    const items = this.items ?? [];
    items.length = this.length;
    return items;
  }
}
