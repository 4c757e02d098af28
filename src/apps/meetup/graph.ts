/**
 * The meetup RSVP job's streams, independent of where the records come from (a direct Kafka
 * stream in the job, a queueStream in unit tests):
 *
 *   records ─ parse and validate ─┬─ valid: (grouping columns, 1) ─ reduceByKey ─ mapWithState ─┐
 *                                 └─ malformed: dead letters (reason, key, payload) ────────────┴─ output
 *
 * mapWithState keeps each key's running `response_count` and emits, per batch, only the keys the
 * batch changed, with their new totals: the rows of the seed's `outputMode("update")`. The
 * output gets, for each batch, those totals, the dead letters and the batch's counts, together,
 * so that it can write them in one transaction.
 */
// The package entry, so that every operation the prototypes get on import (pairs, state) is there.
import { StateSpec, type DStream, type RDD, type State } from '../../index.js';
import { storable } from '../text.js';
import { parseRsvp, type DeadLetter, type ParseResult, type RsvpKey } from './schema.js';

export interface MeetupBatch {
  time: number;
  /** The keys this batch changed, with their running totals. */
  totals: Array<[RsvpKey, number]>;
  deadLetters: DeadLetter[];
  /** Valid records in the batch. */
  valid: number;
  /** Every key's running total after this batch (O(state): read only to rebuild the table). */
  fullState: () => Array<[RsvpKey, number]>;
}

type Tagged = { t: [RsvpKey, number] } | { d: DeadLetter } | { n: number };

interface Parsed {
  key: string | null;
  value: string;
  result: ParseResult;
}

/**
 * Defines the job on `records` (Kafka `[key, value]` pairs). `initialTotals` seeds the running
 * totals (the result table, when the job starts from PostgreSQL); `output` is called once per
 * batch, in batch order, and the batch completes when it resolves.
 */
export function defineMeetupGraph(
  records: DStream<[string | null, string]>,
  initialTotals: ReadonlyArray<readonly [RsvpKey, number]>,
  output: (batch: MeetupBatch) => Promise<void>,
): void {
  const parsed = records.map(([key, value]): Parsed => ({ key, value, result: parseRsvp(value) })).cache();

  const counts = parsed
    .flatMap((p): Array<[RsvpKey, number]> => (p.result.ok ? [[p.result.key, 1]] : []))
    .reduceByKey((a, b) => a + b);

  const spec = StateSpec.function((key: RsvpKey, n: number | undefined, state: State<number>): [RsvpKey, number] => {
    const total = (state.exists() ? state.get() : 0) + (n ?? 0);
    state.update(total);
    return [key, total];
  }).initialState(initialTotals);
  const totals = counts.mapWithState(spec);

  // A dead letter keeps whatever came, as text PostgreSQL can store (JSON.parse's message in the
  // reason may quote the payload, U+0000 included).
  const deadLetters = parsed.flatMap((p): DeadLetter[] =>
    p.result.ok
      ? []
      : [{ category: p.result.category, reason: storable(p.result.reason), key: p.key === null ? null : storable(p.key), payload: storable(p.value) }],
  );

  // Each batch's whole state, kept as the (lazy) RDD and collected only if the output asks.
  const snapshots = new Map<number, RDD<[RsvpKey, number]>>();
  const combined = totals
    .transformWith(deadLetters, (t: RDD<[RsvpKey, number]>, d: RDD<DeadLetter>) =>
      t.map((x): Tagged => ({ t: x })).union(d.map((x): Tagged => ({ d: x }))),
    )
    .transformWith(counts, (a: RDD<Tagged>, c: RDD<[RsvpKey, number]>) => a.union(c.map(([, n]): Tagged => ({ n }))))
    .transformWith(totals.stateSnapshots(), (a: RDD<Tagged>, s: RDD<[RsvpKey, number]>, time: number) => {
      snapshots.set(time, s);
      return a;
    });

  combined.foreachRDD(async (rdd, time) => {
    const snapshot = snapshots.get(time);
    snapshots.delete(time);
    const fullState = (): Array<[RsvpKey, number]> => snapshot?.collect() ?? [];
    const batch: MeetupBatch = { time, totals: [], deadLetters: [], valid: 0, fullState };
    for (const x of rdd.collect()) {
      if ('t' in x) batch.totals.push(x.t);
      else if ('d' in x) batch.deadLetters.push(x.d);
      else batch.valid += x.n;
    }
    await output(batch);
  });
}
