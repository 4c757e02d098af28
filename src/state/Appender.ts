/**
 * An array a batch fills front to back, started at the length its counterpart reached in the
 * batch before: pushing a batch's items one by one grew the array (leaving its smaller copies
 * behind as garbage) ~log1.5(n) times: mapWithState's such arrays were a fifth of all the bytes
 * a run of bench/latency.ts at 1 M records/s allocated.
 */
export class Appender<T> {
  private readonly items: T[];
  length = 0;

  constructor(expected: number) {
    // A quarter more: batches vary, and one a little larger than the last would still grow it.
    this.items = new Array<T>(expected + (expected >>> 2));
  }

  add(item: T): void {
    const i = this.length;
    if (i < this.items.length) this.items[i] = item;
    else this.items.push(item);
    this.length = i + 1;
  }

  /** The items added, in order (the array itself, cut to their number). */
  done(): T[] {
    this.items.length = this.length;
    return this.items;
  }
}
