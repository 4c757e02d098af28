/**
 * Structured wordcount ÷ DStream wordcount on the same lines (issue 12's bench; aim ≥ 0.8).
 *
 *   structured: MemoryStream → select(explode(split(value, ' ')) AS word) → groupBy('word').count(),
 *               update mode, one micro-batch per block of lines, rows to foreachBatch;
 *   DStream:    queueStream → flatMap(split) → map([w, 1]) → reduceByKey (bench/wordcount.ts's job);
 *   DStream running: the same with mapWithState, so the counts run across batches as Structured's
 *               do and are checkpointed — compared with the structured query given a
 *               checkpointLocation (both then write each batch's changed keys to the engine's
 *               checkpoint store, a temporary directory here). Without a checkpointLocation the
 *               structured state is kept in memory only.
 *
 * Throughput = words / time; a ratio is Structured's throughput over the DStream one's.
 * Run: npx tsx bench/structured-wordcount.ts [megabytes=20] [linesPerBatch=20000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManualClock, MemoryStream, SparkSession, StateSpec, StreamingContext, functions as F } from '../src/index.js';
import { peakRssMB, repeatTo, shakespeareLines } from './input.js';

const megabytes = Number(process.argv[2] ?? 20);
const linesPerBatch = Number(process.argv[3] ?? 20_000);
const lines = repeatTo(shakespeareLines(), megabytes * 1024 * 1024);
const batches: string[][] = [];
for (let i = 0; i < lines.length; i += linesPerBatch) batches.push(lines.slice(i, i + linesPerBatch));
const totalWords = lines.reduce((n, l) => n + l.split(' ').length, 0);

async function dstream(): Promise<number> {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  let rows = 0;
  ssc
    .queueStream(batches.slice())
    .flatMap((line) => line.split(' '))
    .map((w): [string, number] => [w, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD((rdd) => void (rows += Number(rdd.count())));
  await ssc.start();
  await clock.advance(batches.length * 1000);
  await ssc.stop();
  return rows;
}

async function dstreamRunning(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sw-'));
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock, checkpointDir: dir });
  let rows = 0;
  const spec = StateSpec.function<string, number, number, number>((_k, v, state) => {
    const n = (state.getOption() ?? 0) + (v ?? 0);
    state.update(n);
    return n;
  });
  ssc
    .queueStream(batches.slice())
    .flatMap((line) => line.split(' '))
    .map((w): [string, number] => [w, 1])
    .reduceByKey((a, b) => a + b)
    .mapWithState(spec)
    .foreachRDD((rdd) => void (rows += Number(rdd.count())));
  await ssc.start();
  await clock.advance(batches.length * 1000);
  await ssc.stop();
  rmSync(dir, { recursive: true, force: true });
  return rows;
}

async function structuredRun(checkpointed: boolean): Promise<number> {
  const spark = new SparkSession({ clock: new ManualClock() });
  const dir = checkpointed ? mkdtempSync(join(tmpdir(), 'bench-sw-')) : undefined;
  const input = new MemoryStream<string>(spark, 'string');
  const words = input.toDF().select(F.explode(F.split(F.col('value'), ' ')).alias('word'));
  let rows = 0;
  let w = words.groupBy('word').count().writeStream.outputMode('update').foreachBatch((df) => void (rows += df.count()));
  if (dir) w = w.option('checkpointLocation', dir);
  const q = await w.start();
  for (const b of batches) {
    input.addData(b);
    await q.processAllAvailable();
  }
  await spark.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  return rows;
}
const structured = () => structuredRun(false);
const structuredCheckpointed = () => structuredRun(true);

interface Timing {
  wall: number;
  cpu: number;
}
async function time<T>(f: () => Promise<T>): Promise<[Timing, T]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await f();
  const c = process.cpuUsage(c0);
  return [{ wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 }, r];
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rounds = Number(process.env.ROUNDS ?? 3);
const runs = { dstream, dstreamRunning, structured, structuredCheckpointed };
const timings: Record<keyof typeof runs, Timing[]> = { dstream: [], dstreamRunning: [], structured: [], structuredCheckpointed: [] };
const outputs: Record<string, number> = {};
for (const f of Object.values(runs)) await f(); // warm-up
for (let i = 0; i < rounds; i++) {
  for (const [name, f] of Object.entries(runs) as [keyof typeof runs, () => Promise<number>][]) {
    const [t, n] = await time(f);
    timings[name].push(t);
    outputs[name] = n;
  }
}
// Update mode emits each batch's changed words: the same rows as the running DStream's per-batch output.
if (outputs.structured !== outputs.dstreamRunning || outputs.structuredCheckpointed !== outputs.structured) throw new Error(`structured emitted ${outputs.structured} rows, the running DStream ${outputs.dstreamRunning}`);

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const mb = lines.reduce((n, l) => n + l.length + 1, 0) / 1024 / 1024;
console.log(`input: ${mb.toFixed(1)} MB, ${fmt(totalWords)} words, ${batches.length} batches of ${linesPerBatch} lines; medians of ${rounds} rounds (shared machine: figures are noisy)`);
for (const [name, ts] of Object.entries(timings)) {
  const wall = median(ts.map((t) => t.wall));
  const cpu = median(ts.map((t) => t.cpu));
  console.log(`${name.padEnd(22)} ${fmt(totalWords / wall)} words/s wall (${wall.toFixed(2)} s), ${fmt(totalWords / cpu)} words/s CPU`);
}
const ratio = (a: keyof typeof runs, b: keyof typeof runs, k: keyof Timing) => (median(timings[b].map((t) => t[k])) / median(timings[a].map((t) => t[k]))).toFixed(2);
console.log(`structured (no checkpointLocation) ÷ DStream reduceByKey:     ${ratio('structured', 'dstream', 'wall')} wall, ${ratio('structured', 'dstream', 'cpu')} CPU`);
console.log(`structured (checkpointLocation) ÷ DStream mapWithState (checkpoint): ${ratio('structuredCheckpointed', 'dstreamRunning', 'wall')} wall, ${ratio('structuredCheckpointed', 'dstreamRunning', 'cpu')} CPU`);
console.log(`peak RSS: ${peakRssMB()} MB`);
