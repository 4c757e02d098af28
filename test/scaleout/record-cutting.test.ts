// How a scaled-out job cuts what it writes into records below Kafka's message limit, without
// Kafka: a window's batch slice in several changelog records (changelogSlices.ts) — read back
// whole from the partition as compaction leaves it (the latest record per key), whatever earlier
// writes of the slice left, and as earlier versions wrote it (one record) — and a hot key's
// values in several repartition bundles, in order.
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../src/kafka/taskProducer.js';
import { SliceRecords } from '../../src/scaleout/changelogSlices.js';
import { bundles, unbundle } from '../../src/scaleout/repartitionByKey.js';

const LIMIT = 128 * 1024;
const bytes = (r: TaskRecord): number => Buffer.byteLength(r.key as string) + Buffer.byteLength(r.value ?? '');

/** A compacted partition: each key's latest value, a tombstone removing it. */
function compact(log: readonly TaskRecord[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of log) {
    if (r.value === null) m.delete(r.key as string);
    else m.set(r.key as string, r.value);
  }
  return m;
}

const elements = (n: number, tag: string): string[] => Array.from({ length: n }, (_, i) => `${tag} ${i} ${'é'.repeat(50)}`);

describe('window slices in the changelog', () => {
  it('a slice over the record budget is several records of distinct keys, read back whole; later writes and removals leave no stale part', () => {
    const w = new SliceRecords('cl', 'b\u0000');
    const big = elements(12_000, 'a'); // ~1.4 MB of UTF-8
    const log: TaskRecord[] = w.write(1000, 0, big);
    expect(log.length).toBeGreaterThanOrEqual(10);
    expect(new Set(log.map((r) => r.key)).size).toBe(log.length);
    for (const r of log) expect(bytes(r)).toBeLessThanOrEqual(LIMIT);
    log.push(...w.write(2000, 0, [1, 2, 3]));
    expect(new SliceRecords('cl', 'b\u0000').read(0, compact(log))).toEqual(new Map<number, unknown>([[1000, big], [2000, [1, 2, 3]]]));

    // Written again smaller (one record), then in fewer parts: the earlier parts are tombstoned.
    log.push(...w.write(1000, 0, ['x']));
    expect(new SliceRecords('cl', 'b\u0000').read(0, compact(log)).get(1000)).toEqual(['x']);
    const mid = elements(3000, 'b');
    log.push(...w.write(1000, 0, mid));
    expect(new SliceRecords('cl', 'b\u0000').read(0, compact(log)).get(1000)).toEqual(mid);

    // A copy that gained the task (it read the partition) writes it again and removes it: nothing is left.
    const gained = new SliceRecords('cl', 'b\u0000');
    gained.read(0, compact(log));
    log.push(...gained.write(1000, 0, elements(100, 'c')));
    log.push(...gained.removeUpTo(2000, () => true).map((r) => r.record));
    expect([...compact(log).keys()]).toEqual([]);
  });

  it('reads the one-record slices an earlier version wrote, and refuses a cut slice missing a part', () => {
    const earlier = new Map([
      ['b\u00001000', JSON.stringify(['a', 'b'])],
      ['b\u00002000', '7'], // countByWindow's count
      ['s\u00001000', JSON.stringify([['k', 1]])],
    ]);
    expect(new SliceRecords('cl', 'b\u0000').read(0, earlier)).toEqual(new Map<number, unknown>([[1000, ['a', 'b']], [2000, 7]]));
    expect(new SliceRecords('cl', 's\u0000').read(0, earlier)).toEqual(new Map([[1000, [['k', 1]]]]));

    const log = new SliceRecords('cl', 'b\u0000').write(1000, 3, elements(12_000, 'a'));
    const partial = compact(log);
    partial.delete('b\u00001000\u00002');
    expect(() => new SliceRecords('cl', 'b\u0000').read(3, partial)).toThrow(/changelog cl partition 3: the slice of batch 1000 was written as \d+ records and its record 2 is missing/);
  });
});

describe('repartition bundles of a hot key', () => {
  it('cut one key’s values into records below the budget, in order', () => {
    const hot = elements(12_000, 'hot');
    const pairs: Array<[unknown, string[]]> = [['cold', ['1']], ['hot', hot], [7, ['x']]];
    const records = bundles(pairs);
    expect(records.length).toBeGreaterThanOrEqual(10);
    for (const r of records) expect(Buffer.byteLength(r)).toBeLessThanOrEqual(LIMIT);
    expect(records.flatMap((r) => unbundle(r))).toEqual(pairs.flatMap(([k, vs]) => vs.map((v) => [k, v])));
  });
});
