import { described } from '../../rdd/checks.js';
import { formatElement, formatLocalTime } from '../../util/format.js';
import { DStream } from '../DStream.js';
import { ForEachDStream } from './foreachRDD.js';

declare module '../DStream.js' {
  interface DStream<T> {
    /** Print the first `num` elements of every batch, PySpark's format. */
    pprint(num?: number): void;
  }
}

/** The text pprint prints for one batch: header, at most `num` elements, `...` if more, a blank line. */
export function pprintBatch(time: number, first: readonly unknown[], num: number): string {
  const rule = '-------------------------------------------';
  const lines = [rule, `Time: ${formatLocalTime(time)}`, rule];
  for (const e of first.slice(0, num)) lines.push(formatElement(e));
  if (first.length > num) lines.push('...');
  lines.push('');
  return lines.join('\n');
}

DStream.prototype.pprint = function <T>(this: DStream<T>, num = 10): void {
  if (!Number.isInteger(num) || num < 0) throw new RangeError(`pprint(num) needs a non-negative integer, got ${described(num)}`);
  new ForEachDStream(
    this,
    (rdd, time) => {
      console.log(pprintBatch(time, rdd.take(num + 1), num));
    },
    'pprint',
  );
};
