// The count of the SIGKILL recovery children (Kafka direct, Kinesis direct and receiver): each
// record's text counted into updateStateByKey state; per batch one JSON line
// {time, keys, total, max} on stdout, and "DONE" (then the context stops) once `expected`
// distinct records are in the state. The parent checks that no record is lost (keys) or counted
// twice (max).
import type { DStream, StreamingContext } from '../../src/index.js';

export function printStateCounts(ssc: StreamingContext, records: DStream<string>, expected: number): void {
  const counts = records
    .map((r): [string, number] => [r, 1])
    .updateStateByKey<number>((values, state) => values.reduce((a, b) => a + b, 0) + (state ?? 0));
  counts.foreachRDD((rdd, time) => {
    let keys = 0;
    let total = 0;
    let max = 0;
    for (const [, n] of rdd.collect()) {
      keys++;
      total += n;
      if (n > max) max = n;
    }
    process.stdout.write(`${JSON.stringify({ time, keys, total, max })}\n`);
    if (keys >= expected) {
      process.stdout.write('DONE\n');
      void ssc.stop();
    }
  });
}
