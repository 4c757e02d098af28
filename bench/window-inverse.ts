/**
 * reduceByKeyAndWindow with an inverse function against the form without one: time per batch
 * once the window is full, at windows of 10, 100 and 1000 batches, sliding every batch, with the
 * same input in every batch (`--records` pairs over `--keys` keys). Prints figures, judges nothing.
 *
 *   npx tsx bench/window-inverse.ts [--records 10000] [--keys 1000] [--measure 40] [--rounds 3] [--windows 10,100,1000]
 *
 * The inverse form's cost should follow the slide (what enters and leaves), so its time per batch
 * should not grow with the window; the other form reduces the whole window at every slide.
 * First one untimed run of each form warms the JIT up. Then `--rounds` rounds each run every form
 * and window once, the windows in turn ascending and descending (the first runs of a process are
 * slower), and the figures are over all timed batches of all rounds. Each run: fill the window (the inverse
 * form's state moves at every batch anyway; the other form's output is not read while filling, so
 * only its per-batch reduce runs), then a few batches read but not timed, then `--measure` timed
 * batches. A batch's time is the ManualClock advance that generates and runs it, its output (a
 * count of the window's pairs) included: wall-clock time, and the process's CPU time (less
 * disturbed by other processes on a busy machine). Medians, since GC pauses land on some batches.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManualClock, StreamingContext } from '../src/index.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}
const RECORDS = Number(arg('records', '10000'));
const KEYS = Number(arg('keys', '1000'));
const MEASURE = Number(arg('measure', '40'));
const ROUNDS = Number(arg('rounds', '3'));
const WINDOWS = arg('windows', '10,100,1000').split(',').map(Number);
const UNTIMED = 5;
const BATCH = 1000;

type Form = 'inverse' | 'naive';

/** The same pairs in every batch (a fresh RDD each batch, sharing the tuples). */
const records: [string, number][] = Array.from({ length: RECORDS }, (_, i) => [`key-${i % KEYS}`, 1 + (i % 7)]);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Timed batches of one run: wall-clock and CPU ms each, and the pairs in the last window. */
interface Timings {
  wall: number[];
  cpu: number[];
  pairs: number;
}

interface Figures {
  /** Median wall-clock ms per batch. */
  median: number;
  /** 90th percentile wall-clock ms per batch. */
  p90: number;
  /** Median CPU ms per batch. */
  cpu: number;
  pairs: number;
}

const p90 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function run(form: Form, windowBatches: number, measure = MEASURE): Promise<Timings> {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: BATCH, clock });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dstreams-window-bench-'));
  ssc.checkpoint(dir);
  const queue: [string, number][][] = [];
  const input = ssc.queueStream(queue);
  const add = (a: number, b: number) => a + b;
  const sub = (a: number, b: number) => a - b;
  const windowed =
    form === 'inverse'
      ? input.reduceByKeyAndWindow(add, sub, windowBatches * BATCH, BATCH)
      : input.reduceByKeyAndWindow(add, windowBatches * BATCH, BATCH);
  let read = false;
  let pairs = 0;
  windowed.foreachRDD((rdd) => {
    if (read) pairs = rdd.count();
  });
  const times: number[] = [];
  const cpu: number[] = [];
  try {
    await ssc.start();
    for (let i = 0; i < windowBatches + UNTIMED + measure; i++) {
      read = i >= windowBatches;
      queue.push(records);
      const c0 = cpuMs();
      const t0 = performance.now();
      await clock.advance(BATCH);
      if (i >= windowBatches + UNTIMED) {
        times.push(performance.now() - t0);
        cpu.push(cpuMs() - c0);
      }
    }
  } finally {
    await ssc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { wall: times, cpu, pairs };
}

const fmt = (x: number): string => `${x.toFixed(2)} ms`.padStart(11);

async function main(): Promise<void> {
  console.log(
    `reduceByKeyAndWindow, slide 1 batch, ${RECORDS} records over ${KEYS} keys per batch, ` +
      `${MEASURE} timed batches per run, ${ROUNDS} rounds (node ${process.version})`,
  );
  for (const form of ['inverse', 'naive'] as const) await run(form, 10, 300); // JIT warm-up, untimed
  const timings = new Map<string, Timings>();
  for (let round = 0; round < ROUNDS; round++) {
    const windows = round % 2 === 0 ? WINDOWS : [...WINDOWS].reverse();
    for (const form of ['inverse', 'naive'] as const) {
      for (const w of windows) {
        const t = await run(form, w);
        const all = timings.get(`${form} ${w}`);
        if (all) {
          all.wall.push(...t.wall);
          all.cpu.push(...t.cpu);
        } else timings.set(`${form} ${w}`, t);
      }
    }
  }
  const results = new Map<Form, Map<number, Figures>>();
  for (const form of ['inverse', 'naive'] as const) {
    const series = new Map<number, Figures>();
    results.set(form, series);
    for (const w of WINDOWS) {
      const t = timings.get(`${form} ${w}`)!;
      const f: Figures = { median: median(t.wall), p90: p90(t.wall), cpu: median(t.cpu), pairs: t.pairs };
      series.set(w, f);
      console.log(
        `${form.padEnd(8)} window ${String(w).padStart(5)} batches: median ${fmt(f.median)}  p90 ${fmt(f.p90)}  ` +
          `CPU median ${fmt(f.cpu)}  (${f.pairs} pairs in the window)`,
      );
    }
  }
  const lo = Math.min(...WINDOWS);
  const hi = Math.max(...WINDOWS);
  console.log(`\nratio of the medians per batch, window ${hi} ÷ window ${lo}:`);
  for (const [form, series] of results) {
    const a = series.get(hi)!;
    const b = series.get(lo)!;
    console.log(`  ${form.padEnd(8)} wall ${(a.median / b.median).toFixed(2)}   CPU ${(a.cpu / b.cpu).toFixed(2)}`);
  }
}

await main();
