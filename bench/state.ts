/**
 * Benchmark of the state operations (src/state). Prints figures, judges nothing.
 *
 *   npx tsx bench/state.ts [--small 10000] [--big 1000000] [--records 10000] [--batches 30]
 *                          [--rounds 3] [--no-e2e]
 *
 * The same batches of `records` (key, 1) records — keys drawn from the first `small` keys — run
 * against a state that already holds `small` keys and one that holds `big` keys (loaded as the
 * initial state at the first batch, not counted):
 *
 * 1. mapWithState, without and with a timeout: per-batch time for each state size, and the
 *    ratio big/small. mapWithState touches only the keys of the batch (and those timing out),
 *    so the ratio should stay near 1 (goal ≤ 1.5).
 * 2. updateStateByKey: the same figures. It offers every key of the state to the update function
 *    at every batch (as Spark does), so its time grows with the state.
 * 3. End to end: mapWithState in a started StreamingContext, which also commits a checkpoint to
 *    LevelDB after every batch (the state's delta) and compacts the store every checkpoint
 *    interval in background threads — costs of the checkpoint store, which grow with its size.
 *
 * In 1 and 2 the graph runs batch by batch exactly as the scheduler runs it (inputs, jobs, the
 * state streams materialised, the output counting the mapped values, clearMetadata) and the
 * stream's incremental checkpoint delta is built after each batch, but nothing is written.
 *
 * Each run is a child process of its own (a fresh heap); runs are repeated in alternation
 * (`--rounds`) and each configuration keeps its best median, which is what survives other load
 * on the machine. Wall time and the process's CPU time (all its threads: GC helpers, LevelDB) are
 * both measured per batch; all runs' medians are printed too.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Checkpointable } from '../src/dstream/Checkpointable.js';
import { ManualClock, StateSpec, StreamingContext, type DStream, type State } from '../src/index.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const SMALL = arg('small', 10_000);
const BIG = arg('big', 1_000_000);
const RECORDS = arg('records', 10_000);
const BATCHES = arg('batches', 30);
const WARMUP = arg('warmup', 5);
const ROUNDS = arg('rounds', 3);
const E2E = !process.argv.includes('--no-e2e');

const ms = (x: number): string => `${x.toFixed(2)} ms`;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** The batches every run gets: `RECORDS` records with keys among the first `SMALL` (seeded). */
function makeBatches(n: number): [string, number][][] {
  let seed = 12345;
  // A full-period LCG mod 2^32, its high bits scaled to [0, m): the low bits of such an LCG cycle
  // fast, and `% m` of the one before (48271, not 1 mod 4) drew 1,250 of 10 k keys, 125 k of 1 M.
  const rand = (m: number): number => Math.floor(((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * m);
  return Array.from({ length: n }, () => Array.from({ length: RECORDS }, (): [string, number] => [`k${rand(SMALL)}`, 1]));
}

function initialState(size: number): [string, number][] {
  return Array.from({ length: size }, (_, i): [string, number] => [`k${i}`, i]);
}

interface Figures {
  /** Wall time per batch, median and mean. */
  median: number;
  mean: number;
  /** CPU time of the process per batch (all its threads), median. */
  cpu: number;
  /** The first batch (loads the initial state). */
  first: number;
}

type Define = (pairs: DStream<[string, number]>) => { out: DStream<unknown>; state: Checkpointable };

/** Times each batch of `batches`; `step(time)` runs one batch. */
async function timeBatches(n: number, warmup: number, step: (time: number) => Promise<void>): Promise<Figures> {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 1; i <= n; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await step(i * 1000);
    const c = process.cpuUsage(c0);
    times.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  const measured = times.slice(warmup);
  return { median: median(measured), mean: mean(measured), cpu: median(cpu.slice(warmup)), first: times[0]! };
}

/** The state operation alone: the graph run batch by batch as the scheduler does, deltas built, nothing written. */
async function timeOperation(define: Define, batches: [string, number][][], warmup: number): Promise<Figures> {
  gc();
  const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0) });
  let seen = 0;
  const { out, state } = define(ssc.queueStream(batches.map((b) => b.slice())));
  out.foreachRDD((rdd) => void (seen += rdd.count()));
  const graph = ssc.graph;
  graph.start(0);
  const f = await timeBatches(batches.length, warmup, async (time) => {
    graph.computeInputs(time);
    const jobs = graph.generateJobs(time);
    graph.materializeState(time);
    for (const job of jobs) await job.run();
    state.checkpointDelta(time, time === 1000);
    graph.clearMetadata(time);
  });
  if (seen === 0) throw new Error('nothing was output');
  return f;
}

/** A started context on a ManualClock, with its checkpoints written to LevelDB. */
async function timeEndToEnd(define: Define, batches: [string, number][][], warmup: number): Promise<Figures> {
  gc();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dstreams-state-bench-'));
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  let seen = 0;
  define(ssc.queueStream(batches.map((b) => b.slice()))).out.foreachRDD((rdd) => void (seen += rdd.count()));
  await ssc.start();
  const f = await timeBatches(batches.length, warmup, () => clock.advance(1000));
  await ssc.stop();
  rmSync(dir, { recursive: true, force: true });
  if (seen === 0) throw new Error('nothing was output');
  return f;
}

function runningCount(withTimeout: boolean, size: number): Define {
  return (pairs) => {
    let spec = StateSpec.function((key: string, value: number | undefined, state: State<number>) => {
      const sum = (state.getOption() ?? 0) + (value ?? 0);
      state.update(sum);
      return sum;
    }).initialState(initialState(size));
    if (withTimeout) spec = spec.timeout(3_600_000);
    const mapped = pairs.mapWithState(spec);
    return { out: mapped as DStream<unknown>, state: mapped.internalStream };
  };
}

function updateCount(size: number): Define {
  return (pairs) => {
    const state = pairs.updateStateByKey((values: number[], s: number | undefined) => (s ?? 0) + values.length, {
      initialRDD: initialState(size),
    });
    return { out: state as DStream<unknown>, state: state as unknown as Checkpointable };
  };
}

type Kind = 'map' | 'map-timeout' | 'update' | 'map-e2e';

/** In a child process: one run, figures as JSON on stdout. */
async function child(kind: Kind, size: number): Promise<void> {
  const all = makeBatches(WARMUP + BATCHES);
  const f =
    kind === 'update'
      ? await timeOperation(updateCount(size), all, WARMUP)
      : kind === 'map-e2e'
        ? await timeEndToEnd(runningCount(false, size), all, WARMUP)
        : await timeOperation(runningCount(kind === 'map-timeout', size), all, WARMUP);
  process.stdout.write(JSON.stringify(f));
}

function spawnRun(kind: Kind, size: number, batches: number): Figures {
  const out = execFileSync(
    process.execPath,
    [
      '--expose-gc',
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...['--child', kind, '--size', String(size), '--small', String(SMALL), '--records', String(RECORDS)],
      ...['--batches', String(batches), '--warmup', String(WARMUP)],
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(out) as Figures;
}

function best(runs: Figures[], by: 'median' | 'cpu'): Figures {
  return runs.reduce((a, b) => (b[by] < a[by] ? b : a));
}

function report(name: string, small: Figures[], big: Figures[]): void {
  const line = (size: number, all: Figures[]): string => {
    const w = best(all, 'median');
    const c = best(all, 'cpu');
    return (
      `  state ${size.toLocaleString('en').padStart(9)} keys: wall median ${ms(w.median)} (mean ${ms(w.mean)}), CPU median ${ms(c.cpu)} per batch\n` +
      `      runs' wall medians ${all.map((x) => x.median.toFixed(2)).join(', ')}; CPU medians ${all.map((x) => x.cpu.toFixed(2)).join(', ')}; ` +
      `first batch (loads the state) ${ms(w.first)}`
    );
  };
  console.log(name);
  console.log(line(SMALL, small));
  console.log(line(BIG, big));
  const ratio = (by: 'median' | 'cpu'): string => (best(big, by)[by] / best(small, by)[by]).toFixed(2);
  console.log(`  ratio ${BIG.toLocaleString('en')} / ${SMALL.toLocaleString('en')} keys (best medians): wall ${ratio('median')}, CPU ${ratio('cpu')}`);
  console.log('');
}

function compare(name: string, kind: Kind, rounds: number, batches: number): void {
  const small: Figures[] = [];
  const big: Figures[] = [];
  for (let r = 0; r < rounds; r++) {
    small.push(spawnRun(kind, SMALL, batches));
    big.push(spawnRun(kind, BIG, batches));
  }
  report(name, small, big);
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) {
  await child(process.argv[childIndex + 1] as Kind, arg('size', SMALL));
} else {
  console.log(
    `state bench: batches of ${RECORDS.toLocaleString('en')} records (keys among the first ${SMALL.toLocaleString('en')}), ` +
      `${BATCHES} timed batches after ${WARMUP} warm-up, ${ROUNDS} alternating rounds, node ${process.version}, ` +
      `load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} CPUs\n`,
  );
  compare('mapWithState (the operation, delta built, nothing written)', 'map', ROUNDS, BATCHES);
  compare('mapWithState with timeout(1 h) (the operation)', 'map-timeout', ROUNDS, BATCHES);
  compare(
    'updateStateByKey (the operation; offers every key to the function at every batch: O(state), as in Spark)',
    'update',
    Math.min(ROUNDS, 2),
    Math.min(BATCHES, 10),
  );
  if (E2E) {
    compare('mapWithState end to end (started context, checkpoint committed to LevelDB every batch)', 'map-e2e', Math.min(ROUNDS, 2), BATCHES);
  }
}
