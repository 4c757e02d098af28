/**
 * Benchmark of the LevelDB checkpoint store (src/checkpoint). Prints figures, judges nothing.
 *
 *   npx tsx bench/checkpoint-store.ts [--big 1000000] [--changed 10000]
 *
 * 1. value codec: node:v8 serialize/deserialize vs JSON vs the store's codec, typical state values
 * 2. commit of a batch of `changed` changed keys into a store holding `changed` vs `big` keys
 * 3. load of `big` keys (loadState and readState), size on disk before / after compact()
 * 4. cost of sync (fsync per commit) vs no sync
 */

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { CheckpointStore, decodeValue, encodeValue } from '../src/checkpoint/index.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const BIG = arg('big', 1_000_000);
const CHANGED = arg('changed', 10_000);
const FILL_BATCH = 50_000;

const now = (): number => performance.now();
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'dstreams-cp-bench-'));
}

/** A typical state value for key i: mostly counts, some small objects and arrays. */
function valueFor(i: number, round: number): unknown {
  switch (i % 4) {
    case 0:
    case 1:
      return i + round;
    case 2:
      return { count: i + round, sum: (i + round) * 1.5 };
    default:
      return [i, round, 'x'];
  }
}
/** Keys: words and tuple keys, like word counts and (country, city) counts. */
function keyFor(i: number): string | [string, string] {
  return i % 2 === 0 ? `word${i}` : ['fr', `city${i}`];
}

function codecBench(): void {
  console.log('\n== value codec (per value, 200k iterations) ==');
  const N = 200_000;
  const samples: Record<string, unknown> = {
    'number 42': 42,
    'array [1,2,"x"]': [1, 2, 'x'],
    'object {count,sum}': { count: 3, sum: 10.5 },
    'Map(2)': new Map([
      ['a', 1],
      ['b', 2],
    ]),
  };
  const time = (f: () => void): number => {
    for (let i = 0; i < 10_000; i++) f();
    const t = now();
    for (let i = 0; i < N; i++) f();
    return ((now() - t) * 1000) / N;
  };
  console.log('value'.padEnd(22), 'v8 enc+dec'.padStart(12), 'JSON enc+dec'.padStart(14), 'store codec'.padStart(13), ' sizes v8/JSON/store');
  for (const [name, v] of Object.entries(samples)) {
    const v8b = v8.serialize(v);
    const tv8 = time(() => v8.deserialize(v8.serialize(v)));
    const jsonText = JSON.stringify(v);
    const tjson = time(() => JSON.parse(Buffer.from(JSON.stringify(v)).toString()));
    const sb = encodeValue(v);
    const tstore = time(() => decodeValue(encodeValue(v)));
    console.log(
      name.padEnd(22),
      `${tv8.toFixed(2)} us`.padStart(12),
      `${tjson.toFixed(2)} us`.padStart(14),
      `${tstore.toFixed(2)} us`.padStart(13),
      ` ${v8b.length}/${Buffer.byteLength(jsonText)}/${Buffer.byteLength(sb)} B`,
      v instanceof Map ? '(JSON cannot hold a Map)' : '',
    );
  }
}

async function fill(store: CheckpointStore, n: number): Promise<number> {
  const t = now();
  for (let start = 0; start < n; start += FILL_BATCH) {
    const puts: Array<[unknown, unknown]> = [];
    for (let i = start; i < Math.min(n, start + FILL_BATCH); i++) puts.push([keyFor(i), valueFor(i, 0)]);
    await store.commit({ state: { s1: { puts: puts as never } } }, { sync: false });
  }
  return now() - t;
}

/** Median time of `rounds` commits each changing `changed` keys spread over the first `stored` keys. */
async function commitRounds(store: CheckpointStore, stored: number, changed: number, rounds: number, sync: boolean): Promise<number> {
  const times: number[] = [];
  const stride = Math.max(1, Math.floor(stored / changed));
  for (let r = 1; r <= rounds; r++) {
    const puts: Array<[unknown, unknown]> = [];
    const deletes: unknown[] = [];
    for (let j = 0; j < changed; j++) {
      const i = (j * stride + r) % stored;
      if (j % 20 === 19) deletes.push(keyFor(i));
      else puts.push([keyFor(i), valueFor(i, r)]);
    }
    const t = now();
    await store.commit({ meta: { batchTime: r * 1000, pending: [] }, state: { s1: { puts: puts as never, deletes: deletes as never } } }, { sync });
    times.push(now() - t);
  }
  return median(times);
}

async function commitScaling(): Promise<void> {
  console.log(`\n== commit of ${CHANGED} changed keys (5% deletes) + meta, median of 15 commits ==`);
  const results: Record<string, { fresh: number; async: number; sync: number }> = {};
  {
    // warm the JIT up on a throwaway store, so that the first measured store is not charged for it
    const dir = tmp();
    const store = await CheckpointStore.open(dir);
    await fill(store, CHANGED);
    await commitRounds(store, CHANGED, CHANGED, 10, false);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const stored of [CHANGED, BIG]) {
    const dir = tmp();
    const store = await CheckpointStore.open(dir);
    const tFill = await fill(store, stored);
    // right after the fill LevelDB is still compacting in the background
    const freshMs = await commitRounds(store, stored, CHANGED, 15, false);
    const t = now();
    await store.compact();
    const tCompact = now() - t;
    const asyncMs = await commitRounds(store, stored, CHANGED, 15, false);
    const syncMs = await commitRounds(store, stored, CHANGED, 15, true);
    results[stored] = { fresh: freshMs, async: asyncMs, sync: syncMs };
    console.log(
      `stored ${String(stored).padStart(8)} keys (fill ${ms(tFill)}, compact ${ms(tCompact)}): ` +
        `commit ${ms(freshMs)} right after the fill; after compact() ${ms(asyncMs)} (sync: false), ${ms(syncMs)} (sync: true)`,
    );
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const small = results[CHANGED]!;
  const big = results[BIG]!;
  console.log(
    `ratio ${BIG} / ${CHANGED} stored: ${(big.fresh / small.fresh).toFixed(2)}x right after the fill, ` +
      `${(big.async / small.async).toFixed(2)}x (sync: false) and ${(big.sync / small.sync).toFixed(2)}x (sync: true) after compact()`,
  );
}

async function loadAndSize(): Promise<void> {
  console.log(`\n== load of ${BIG} keys ==`);
  const dir = tmp();
  let store = await CheckpointStore.open(dir);
  const tFill = await fill(store, BIG);
  console.log(`fill: ${ms(tFill)} (${FILL_BATCH}-key commits, sync: false)`);
  // a few rounds of updates, as a running job would leave behind
  await commitRounds(store, BIG, CHANGED, 5, false);
  console.log(`size on disk: ${mib(await store.sizeOnDisk())} before compact()`);
  let t = now();
  await store.compact();
  console.log(`compact(): ${ms(now() - t)}; size on disk after: ${mib(await store.sizeOnDisk())}`);
  await store.close();

  t = now();
  store = await CheckpointStore.open(dir);
  console.log(`open: ${ms(now() - t)}`);
  for (let rep = 0; rep < 2; rep++) {
    t = now();
    const entries = await store.loadState('s1');
    const tLoad = now() - t;
    t = now();
    let n = 0;
    for await (const _e of store.readState('s1', { batchSize: 10_000 })) n++;
    const tRead = now() - t;
    console.log(
      `loadState: ${entries.length} entries in ${ms(tLoad)} (${((entries.length / tLoad) * 1000 / 1e6).toFixed(2)} M keys/s); ` +
        `readState (async iteration): ${n} in ${ms(tRead)}${rep === 0 ? '  [first read after open]' : ''}`,
    );
  }
  const all = await store.loadState('s1');
  t = now();
  await store.commit({ state: { s1: { replace: true, puts: all.map(([k, v]) => [k, v]) } } }, { sync: true });
  console.log(`full rewrite (replace: true) of ${all.length} keys: ${ms(now() - t)}`);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

async function syncCost(): Promise<void> {
  console.log('\n== sync vs no sync, small commits (10 keys + meta), 200 commits ==');
  const dir = tmp();
  const store = await CheckpointStore.open(dir);
  await fill(store, 10_000);
  for (const sync of [false, true, false, true]) {
    const times: number[] = [];
    for (let r = 0; r < 200; r++) {
      const puts: Array<[unknown, unknown]> = [];
      for (let j = 0; j < 10; j++) puts.push([keyFor(r * 10 + j), valueFor(j, r)]);
      const t = now();
      await store.commit({ meta: { batchTime: r }, state: { s1: { puts: puts as never } } }, { sync });
      times.push(now() - t);
    }
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    console.log(`sync: ${String(sync).padEnd(5)} median ${times.length ? median(times).toFixed(3) : '-'} ms, mean ${mean.toFixed(3)} ms per commit`);
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `checkpoint store bench: node ${process.version}, ${os.cpus().length} cpus, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, tmpdir ${os.tmpdir()}`,
);
codecBench();
await commitScaling();
await loadAndSize();
await syncCost();
console.log(`\nload average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
