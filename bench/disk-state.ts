/**
 * Benchmark of the disk state store (issue 17): mapWithState and updateStateByKey per-batch time
 * with the state on disk ÷ in memory, at 100 k and 5 M keys, and the restart time with each.
 * Prints figures and ratios, judges nothing.
 *
 *   npx tsx bench/disk-state.ts [--ops mapWithState,updateStateByKey] [--sizes 100000,5000000]
 *                               [--records 10000] [--batches 20] [--warmup 3] [--cache 100000]
 *                               [--ubatches 5] [--uwarmup 1]
 *
 * Each configuration runs in a child process of its own: a started context on a ManualClock whose
 * state holds `size` keys from its first batch (the initial state: in memory the Maps (src/state/stateMap.ts), on disk one
 * LevelDB entry per key written by the first commit — warm-up, not timed), then `batches` timed
 * batches of `records` (key, 1) records with keys drawn uniformly from the whole key space
 * (seeded; the worst case for the disk store's cache of hot keys), a checkpoint committed after
 * every batch. Then a second child restarts it with getOrCreate and times getOrCreate + start().
 * updateStateByKey offers every key to its function at every batch (Spark), in memory and on disk
 * alike, and its output reads the whole state (`count()`: on disk, from the batch's spill files):
 * a batch costs O(state), so it runs `ubatches` timed batches after `uwarmup`.
 * The machine is shared with other work: wall times are noisy, the CPU times less so.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock, StateSpec, StreamingContext, type State } from '../src/index.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}
const SIZES = arg('sizes', '100000,5000000').split(',').map(Number);
const RECORDS = Number(arg('records', '10000'));
const BATCHES = Number(arg('batches', '20'));
const WARMUP = Number(arg('warmup', '3'));
const CACHE = Number(arg('cache', '100000'));
const OPS = arg('ops', 'mapWithState,updateStateByKey').split(',') as Op[];
const U_BATCHES = Number(arg('ubatches', '5'));
const U_WARMUP = Number(arg('uwarmup', '1'));

type Store = 'memory' | 'disk';
type Op = 'mapWithState' | 'updateStateByKey';
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function job(op: Op, dir: string, store: Store, size: number, initial: boolean): { ssc: StreamingContext; clock: ManualClock } {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  const gen = (t: number, i: number): string => `k${(Math.imul((t / 1000) * RECORDS + i, 2654435761) >>> 0) % size}`;
  if (op === 'updateStateByKey') {
    const initialRDD: [string, number][] | undefined = initial ? Array.from({ length: size }, (_, i) => [`k${i}`, 1]) : undefined;
    ssc
      .rateStream<string>({ rowsPerBatch: RECORDS, generate: gen })
      .map((w): [string, number] => [w, 1])
      .updateStateByKey((values: number[], n: number | undefined) => (n ?? 0) + values.length, { name: 'counts', stateStore: store, initialRDD })
      .foreachRDD((rdd) => void rdd.count());
    return { ssc, clock };
  }
  const spec = StateSpec.function((_k: string, v: number | undefined, st: State<number>) => {
    const n = (st.getOption() ?? 0) + (v ?? 0);
    st.update(n);
    return n;
  }).name('counts');
  if (store === 'disk') spec.stateStore({ type: 'disk', cacheKeys: CACHE });
  if (initial) {
    const pairs: [string, number][] = new Array(size);
    for (let i = 0; i < size; i++) pairs[i] = [`k${i}`, 1];
    spec.initialState(pairs);
  }
  ssc
    .rateStream<string>({ rowsPerBatch: RECORDS, generate: gen })
    .map((w): [string, number] => [w, 1])
    .mapWithState(spec)
    .foreachRDD((rdd) => void rdd.count());
  return { ssc, clock };
}

async function runChild(op: Op, store: Store, size: number, dir: string): Promise<{ median: number; cpu: number; heapMB: number }> {
  const { ssc, clock } = job(op, dir, store, size, true);
  await ssc.start();
  const wall: number[] = [];
  const cpu: number[] = [];
  const warmup = op === 'updateStateByKey' ? U_WARMUP : WARMUP;
  const batches = op === 'updateStateByKey' ? U_BATCHES : BATCHES;
  for (let i = 0; i < warmup + batches; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await clock.advance(1000);
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  const heapMB = process.memoryUsage().heapUsed / 2 ** 20;
  await ssc.stop();
  return { median: median(wall.slice(warmup)), cpu: median(cpu.slice(warmup)), heapMB };
}

async function restartChild(op: Op, store: Store, size: number, dir: string): Promise<{ wall: number; cpu: number }> {
  const made = job(op, dir, store, size, false);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const ssc = await StreamingContext.getOrCreate(dir, () => made.ssc);
  await ssc.start();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  await ssc.stop();
  return { wall, cpu: (c.user + c.system) / 1000 };
}

function spawn(args: string[]): string {
  return execFileSync(process.execPath, ['--max-old-space-size=8192', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
}

const role = process.argv.indexOf('--child');
if (role >= 0) {
  const [what, op, store, size, dir] = process.argv.slice(role + 1) as [string, Op, Store, string, string];
  const out = what === 'run' ? await runChild(op, store, Number(size), dir) : await restartChild(op, store, Number(size), dir);
  process.stdout.write(JSON.stringify(out));
} else {
  console.log(
    `disk state bench: ${RECORDS.toLocaleString('en')} records per batch (keys uniform over the state), mapWithState ${BATCHES} timed batches ` +
      `after ${WARMUP} (disk cache ${CACHE.toLocaleString('en')} keys), updateStateByKey ${U_BATCHES} after ${U_WARMUP}, checkpoint every batch; ` +
      `node ${process.version}, load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} CPUs (shared machine)`,
  );
  for (const op of OPS) for (const size of SIZES) {
    const res: Partial<Record<Store, { median: number; cpu: number; heapMB: number; restart: { wall: number; cpu: number } }>> = {};
    for (const store of ['memory', 'disk'] as Store[]) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'dstreams-disk-bench-'));
      try {
        const run = JSON.parse(spawn(['--child', 'run', op, store, String(size), dir])) as { median: number; cpu: number; heapMB: number };
        const restart = JSON.parse(spawn(['--child', 'restart', op, store, String(size), dir])) as { wall: number; cpu: number };
        res[store] = { ...run, restart };
        console.log(
          `  ${op.padEnd(16)} ${size.toLocaleString('en').padStart(10)} keys, ${store.padEnd(6)}: ${run.median.toFixed(1).padStart(7)} ms per batch ` +
            `(CPU ${run.cpu.toFixed(1)} ms), heap ${run.heapMB.toFixed(0)} MB; restart ${restart.wall.toFixed(0)} ms wall, ${restart.cpu.toFixed(0)} ms CPU`,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const m = res.memory!;
    const d = res.disk!;
    console.log(
      `  ${op.padEnd(16)} ${size.toLocaleString('en').padStart(10)} keys: disk ÷ memory per batch = ${(d.median / m.median).toFixed(2)} wall, ${(d.cpu / m.cpu).toFixed(2)} CPU; ` +
        `restart disk ${d.restart.wall.toFixed(0)} ms vs memory ${m.restart.wall.toFixed(0)} ms (load average ${os.loadavg()[0]!.toFixed(2)})`,
    );
  }
}
