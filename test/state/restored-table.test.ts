// A mapWithState restored from a snapshot whose keys are text keeps those keys in a table under
// its Maps (src/state/RestoredTable.ts): the job goes on exactly as if it had never stopped, and
// every version sees the keys as they were at its batch.
import { describe, expect, it } from 'vitest';
import { decodeSnapshotChunk, encodeSnapshot } from '../../src/checkpoint/bulk.js';
import type { Checkpointable, KeyTextChunk } from '../../src/dstream/Checkpointable.js';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';
import { fnv1a, hashKey } from '../../src/rdd/keys.js';
import { mix } from '../../src/state/stateMap.js';
import type { MapWithStateDStream } from '../../src/state/MapWithStateDStream.js';
import { RestoredTable } from '../../src/state/RestoredTable.js';
import { tempDirs } from '../helpers/diskState.js';

const tempDir = tempDirs('dstreams-restored-table-');

const KEYS = 300;

/**
 * Batch t: 40 records over keys k0..k299 and a few new keys n<t>_<i>. The value -1 removes the
 * key, 0 only reads it; so batches remove restored keys, write them again, and touch keys the
 * delta log alone holds.
 */
function batchAt(t: number): [string, number][] {
  const b = t / 1000;
  let seed = b * 7919 + 3;
  const rand = (m: number): number => (seed = (Math.imul(seed, 48271) + 11) >>> 0) % m;
  return Array.from({ length: 40 }, (_, i): [string, number] => {
    const r = rand(10);
    const key = r === 0 ? `n${b % 3}_${i % 4}` : `k${rand(KEYS)}`;
    return [key, r === 1 || r === 2 ? -1 : r === 3 ? 0 : 1 + (b % 5)];
  });
}

interface Run {
  ssc: StreamingContext;
  clock: ManualClock;
  mapped: MapWithStateDStream<string, number, number, string>;
  outputs: Map<number, string[]>;
  snapshots: Map<number, string[]>;
}

function job(dir: string): Run {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  const spec = StateSpec.function((k: string, v: number | undefined, st: State<number>) => {
    if (v === -1) {
      if (st.exists()) st.remove();
      return `${k}:removed`;
    }
    if (v === 0) return `${k}:${st.getOption() ?? 'none'}`;
    st.update((st.getOption() ?? 0) + (v ?? 0));
    return `${k}:${st.get()}`;
  })
    .initialState(Array.from({ length: KEYS }, (_, i): [string, number] => [`k${i}`, i]))
    .numPartitions(3)
    .name('counts');
  const mapped = ssc.rateStream<[string, number]>({ rowsPerBatch: 40, generate: (t, i) => batchAt(t)[i]! }).mapWithState(spec);
  const outputs = new Map<number, string[]>();
  const snapshots = new Map<number, string[]>();
  mapped.foreachRDD((rdd, t) => void outputs.set(t, rdd.collect().sort()));
  mapped.stateSnapshots().foreachRDD((rdd, t) => void snapshots.set(t, rdd.collect().map((kv) => kv.join('=')).sort()));
  return { ssc, clock, mapped, outputs, snapshots };
}

function tableOf(run: Run): RestoredTable<number> | undefined {
  return (run.mapped.internalStream as unknown as { table?: RestoredTable<number> }).table;
}

describe('mapWithState restored with its keys as text', () => {
  it('goes on exactly as a job that never stopped: outputs, whole state and key counts, across two restarts', async () => {
    const reference = job(tempDir());
    const keyCounts = new Map<number, number>();
    reference.ssc.addStreamingListener({ onBatchCompleted: (i) => void keyCounts.set(i.batchTime, i.memory!.stateKeys.inMemory) });
    await reference.ssc.start();
    await reference.clock.advance(12_000);
    await reference.ssc.stop();

    const dir = tempDir();
    const first = job(dir);
    await first.ssc.start();
    await first.clock.advance(5000);
    await first.ssc.stop();

    const runs: Run[] = [first];
    for (const [from, to] of [
      [5000, 9000],
      [9000, 12_000],
    ] as const) {
      let next: Run | undefined;
      const ssc = await StreamingContext.getOrCreate(dir, () => (next = job(dir)).ssc);
      expect(ssc.recoveredFrom).toBe(from);
      ssc.addStreamingListener({ onBatchCompleted: (i) => expect(i.memory!.stateKeys.inMemory, `keys after ${i.batchTime}`).toBe(keyCounts.get(i.batchTime)) });
      await ssc.start();
      // The snapshot (the initial state's full copy, keys as text) is under the Maps as a table.
      expect(tableOf(next!)).toBeDefined();
      await next!.clock.advance(to); // its clock starts at 0
      await ssc.stop();
      runs.push(next!);
    }
    for (const t of reference.outputs.keys()) {
      const run = runs.find((r) => r.outputs.has(t))!;
      expect(run.outputs.get(t), `outputs of ${t}`).toEqual(reference.outputs.get(t));
      expect(run.snapshots.get(t), `state after ${t}`).toEqual(reference.snapshots.get(t));
    }
  });
});

describe('a snapshot of mapWithState merged from memory over a restored table', () => {
  it('lists the Maps\' keys and the table\'s visible ones, each once, in chunks', async () => {
    const dir = tempDir();
    const first = job(dir);
    await first.ssc.start();
    await first.clock.advance(3000);
    await first.ssc.stop();
    let next: Run | undefined;
    const ssc = await StreamingContext.getOrCreate(dir, () => (next = job(dir)).ssc);
    await ssc.start();
    await next!.clock.advance(5000);
    expect(tableOf(next!)).toBeDefined();
    const listed: string[] = [];
    for (const { keys, values } of (next!.mapped.internalStream as unknown as Checkpointable).stateSnapshot!(5000, 16)!) {
      expect(keys.length).toBeLessThanOrEqual(16);
      keys.forEach((k, i) => listed.push(`${String(k)}=${String(values[i])}`));
    }
    await ssc.stop();
    expect(listed.sort()).toEqual(next!.snapshots.get(5000));
  });
});

describe('updateStateByKey restored through a table of its text keys', () => {
  function updateJob(dir: string): { ssc: StreamingContext; clock: ManualClock; outputs: Map<number, string[]> } {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc.checkpoint(dir);
    const outputs = new Map<number, string[]>();
    ssc
      .rateStream<[string, number]>({ rowsPerBatch: 40, generate: (t, i) => batchAt(t)[i]! })
      .updateStateByKey<number>(
        (vs, s) => (vs.includes(-1) ? undefined : vs.length === 0 ? s : (s ?? 0) + vs.reduce((a, b) => a + b, 0)),
        { initialRDD: Array.from({ length: KEYS }, (_, i): [string, number] => [`k${i}`, i]), numPartitions: 3, name: 'totals' },
      )
      .foreachRDD((rdd, t) => void outputs.set(t, rdd.collect().map((kv) => kv.join('=')).sort()));
    return { ssc, clock, outputs };
  }

  it('goes on exactly as a job that never stopped, across two restarts (removed, re-added and new keys)', async () => {
    const reference = updateJob(tempDir());
    await reference.ssc.start();
    await reference.clock.advance(10_000);
    await reference.ssc.stop();

    const dir = tempDir();
    const first = updateJob(dir);
    await first.ssc.start();
    await first.clock.advance(4000);
    await first.ssc.stop();
    const outputs = new Map(first.outputs);
    for (const [from, to] of [
      [4000, 7000],
      [7000, 10_000],
    ] as const) {
      let next: ReturnType<typeof updateJob> | undefined;
      const ssc = await StreamingContext.getOrCreate(dir, () => (next = updateJob(dir)).ssc);
      expect(ssc.recoveredFrom).toBe(from);
      await ssc.start();
      await next!.clock.advance(to);
      await ssc.stop();
      for (const [t, out] of next!.outputs) outputs.set(t, out);
    }
    expect(outputs.size).toBe(10);
    for (const [t, out] of reference.outputs) expect(outputs.get(t), `state after ${t}`).toEqual(out);
  });
});

describe('RestoredTable', () => {
  const keys = ['', 'a', 'b\tc', 'é', '😀', 'x'.repeat(40), ...Array.from({ length: 200 }, (_, i) => `w${i}`)];
  const chunks = [keys.slice(0, 90), keys.slice(90)].map((ks) => decodeSnapshotChunk(encodeSnapshot(ks.map((k) => [k, keys.indexOf(k)]))) as KeyTextChunk);
  const info = (k: unknown): [number, number] => [hashKey(k), mix(hashKey(k))];

  it('hashes each key in place as hashKey hashes the key itself', () => {
    for (const { keys: text, starts } of chunks) {
      for (let j = 0; j + 1 < starts.length; j++) {
        expect(fnv1a(text, starts[j]!, starts[j + 1]! - 1) >>> 0).toBe(hashKey(text.slice(starts[j]!, starts[j + 1]! - 1)));
      }
    }
  });

  it('finds every key and its value, nothing else, and parts the keys as the Maps do', () => {
    const table = new RestoredTable<number>(chunks, 3, 1000);
    expect(table.size).toBe(keys.length);
    for (const k of keys) {
      const e = table.find(k, ...info(k));
      expect(e, JSON.stringify(k)).toBeGreaterThanOrEqual(0);
      expect(table.keyAt(e)).toBe(k);
    }
    for (const k of keys) expect(table.valueAt(table.find(k, ...info(k)))).toBe(keys.indexOf(k));
    for (const k of ['w200', 'xx', 'b', 0, 1, null]) expect(table.find(k, ...info(k))).toBe(-1);
    const seen: string[] = [];
    for (let p = 0; p < 3; p++) {
      table.forEach(p, 1, (k) => {
        expect(hashKey(k) % 3).toBe(p);
        seen.push(k);
      });
      expect(table.visibleIn(p)).toBe(seen.filter((k) => hashKey(k) % 3 === p).length);
    }
    expect(seen.sort()).toEqual([...keys].sort());
  });

  it('hides a key from the version that wrote it on, not from older ones; a key removed while restoring is gone', () => {
    const table = new RestoredTable<number>(chunks, 1, 1000);
    const e = table.find('w7', ...info('w7'));
    table.hide([e], 5);
    const at = (edit: number): string[] => {
      const out: string[] = [];
      table.forEach(0, edit, (k) => out.push(k));
      return out;
    };
    expect(at(4)).toContain('w7');
    expect(at(5)).not.toContain('w7');
    expect(at(6)).not.toContain('w7');
    expect(table.visibleIn(0)).toBe(keys.length - 1);
    // Still found: the Maps hold the key from edit 5 on and is asked first.
    expect(table.find('w7', ...info('w7'))).toBe(e);

    const removed = table.find('w8', ...info('w8'));
    table.restoreRemove(removed);
    expect(table.find('w8', ...info('w8'))).toBe(-1);
    expect(at(1)).not.toContain('w8');
    table.restorePut(table.find('w9', ...info('w9')), 99);
    expect(table.valueAt(table.find('w9', ...info('w9')))).toBe(99);
    expect(table.allHidden).toBe(false);
    table.hide(
      keys.map((k) => table.find(k, ...info(k))).filter((i) => i >= 0),
      7,
    );
    expect(table.allHidden).toBe(true);
  });
});
