/**
 * Wordcount throughput: the engine (queueStream → flatMap(split) → map([w, 1]) → reduceByKey,
 * driven by a ManualClock) against a hand-written split + Map count over the same lines.
 * Run: npx tsx bench/wordcount.ts [megabytes=50] [linesPerBatch=20000]
 *
 * Findings (2 cores shared with other sessions: read the CPU ratio; wall times vary 2-5x):
 * - Dec 6 (quiet): the combining table as slots (PairTable, one hash lookup a value), alternated
 *   with the code before: 0.95 / 0.93 wall, 0.92 / 0.89 CPU against 0.82 / 0.89 wall, 0.77 / 0.86
 *   CPU (30 MB, medians of the rounds); a batch per advance 0.96 / 0.94 against 0.91 / 0.93.
 * - Before fused stages (6058f2e): 0.71 CPU. Profile: the per-key fold 32%, the closure chain
 *   (push → f → push) 12%, hashing every distinct key into its partition in a second pass over
 *   the table (an iterator, a new pair per key) 8%, GC 13%.
 * - Fused stages (src/rdd/stage.ts: one generated loop per partition into the shuffle's table):
 *   0.71-0.78 CPU (load 8-18), 0.74 at load 1. The table's entries were the result pairs, each
 *   placed in its hash partition when made: the loop alone reached only 0.69-0.79 of the hand
 *   loop, while the same loop over a Map of plain combiners (get + set, as the hand loop does)
 *   reached 0.95-1.0 — a `[key, count]` pair per key lives the whole batch, so the scavenger
 *   copies it (and GC took 12.7% of the engine's samples against 5.1% of the hand loop's).
 * - Now (PairTable.ts): the table maps keys to combiners; the pairs and their hash partitions
 *   are made only when something reads the partitions, and count() of a shuffle reads the
 *   table's size. queueStream cuts a queued array when its batch first reads it, so a catch-up
 *   (this bench advances the clock over all 97 batches at once: all are generated before the
 *   first runs) no longer holds 97 batches of copies (+15 MB live → +3 MB). Load average 7-14:
 *   0.80-0.90 CPU (4 runs: 0.90, 0.80, 0.82, 0.88; main measured alongside: 0.71, 0.73); one
 *   batch per advance (a live stream's pace): 0.87-0.96 CPU. Profile (load 14): the generated
 *   loop with the Map get/set 45%, the job's split and pair 34% (both inlined; the engine
 *   allocates no more than the hand loop), GC 13% (hand loop: 7%), inserting new keys 6%, scheduling <1%. Per run,
 *   the loop, the job's functions and the inserts take 1.67 s against the hand loop's 1.71 s:
 *   the whole remaining gap is GC, 0.26 s against 0.13 s. The scavenger promotes ~40 MB more
 *   per run than the hand loop's (~75 MB in the catch-up): each batch's table with its key
 *   strings lives until the next batch completes (Spark's remember duration: the RDD of a
 *   batch stays readable until then), where the hand loop's Map dies with its batch.
 * - Dec 1 night (quiet machine): the catch-up scored 0.73 CPU where a batch per advance scored 0.92.
 *   The catch-up promoted twice the bytes (606 MB against 312 MB over 5 runs, --trace-gc-nvp):
 *   all 97 batches' RDDs are made before the first runs, so each shuffle's RDD is in the old
 *   space when its table is made, and holds the table through every scavenge until the next
 *   mark-compact, long after the stream forgot it. A forgotten shuffle now lets go of its table
 *   (RDD.release; Spark unpersists forgotten RDDs): promoted 271 MB, and medians of 9 rounds
 *   0.91 CPU / 0.93 wall (catch-up), 0.99 / 0.98 (a batch per advance).
 */
import { performance } from 'node:perf_hooks';
import { ManualClock, StreamingContext } from '../src/index.js';
import { peakRssMB, repeatTo, shakespeareLines } from './input.js';

const megabytes = Number(process.argv[2] ?? 50);
const linesPerBatch = Number(process.argv[3] ?? 20_000);
const lines = repeatTo(shakespeareLines(), megabytes * 1024 * 1024);
const batches: string[][] = [];
for (let i = 0; i < lines.length; i += linesPerBatch) batches.push(lines.slice(i, i + linesPerBatch));
const totalWords = lines.reduce((n, l) => n + l.split(' ').length, 0);

function handWritten(): number {
  let distinct = 0;
  for (const batch of batches) {
    const counts = new Map<string, number>();
    for (const line of batch) {
      for (const w of line.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    distinct += counts.size;
  }
  return distinct;
}

/** `stepwise`: one clock advance per batch, a live stream's pace, instead of all batches at once (a catch-up). */
async function engine(stepwise = false): Promise<number> {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  let distinct = 0;
  ssc
    .queueStream(batches.slice())
    .flatMap((line) => line.split(' '))
    .map((w): [string, number] => [w, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD((rdd) => {
      distinct += rdd.count();
    });
  await ssc.start();
  if (stepwise) for (let i = 0; i < batches.length; i++) await clock.advance(1000);
  else await clock.advance(batches.length * 1000);
  await ssc.stop();
  return distinct;
}

interface Timing {
  wall: number;
  cpu: number;
}

/** Wall time and this process's CPU time (user + system): CPU time barely moves when other processes load the machine. */
async function time<T>(f: () => T | Promise<T>): Promise<[Timing, T]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await f();
  const c = process.cpuUsage(c0);
  return [{ wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 }, r];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Rounds alternate the two, so a busy moment of the machine falls on both alike.
const rounds = Number(process.env.ROUNDS ?? 5);
const hand: Timing[] = [];
const eng: Timing[] = [];
const step: Timing[] = [];
let check: [number, number, number] = [0, 0, 0];
await engine(); // warm-up: JIT both paths once
handWritten();
for (let i = 0; i < rounds; i++) {
  const [th, dh] = await time(handWritten);
  const [te, de] = await time(() => engine());
  const [ts, ds] = await time(() => engine(true));
  hand.push(th);
  eng.push(te);
  step.push(ts);
  check = [dh, de, ds];
}
if (check[0] !== check[1] || check[0] !== check[2]) {
  throw new Error(`engine and hand-written disagree: ${check[1]} / ${check[2]} vs ${check[0]} distinct words`);
}

const mb = lines.reduce((n, l) => n + l.length + 1, 0) / 1024 / 1024;
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const row = (name: string, ts: Timing[]): void => {
  const wall = median(ts.map((t) => t.wall));
  const cpu = median(ts.map((t) => t.cpu));
  console.log(`${name} ${fmt(totalWords / wall)} words/s wall (${wall.toFixed(2)} s), ${fmt(totalWords / cpu)} words/s CPU (${cpu.toFixed(2)} s)`);
};
console.log(`input: ${mb.toFixed(1)} MB, ${lines.length.toLocaleString('en-US')} lines, ${fmt(totalWords)} words, ${batches.length} batches of ${linesPerBatch} lines; medians of ${rounds} alternating rounds`);
row('hand-written split + Map count:', hand);
row('dstreams engine wordcount:     ', eng);
row('  the same, a batch per advance:', step);
const ratio = (e: Timing[], k: keyof Timing): string => (median(hand.map((t) => t[k])) / median(e.map((t) => t[k]))).toFixed(2);
const best = (e: Timing[], k: keyof Timing): string =>
  (Math.min(...hand.map((t) => t[k])) / Math.min(...e.map((t) => t[k]))).toFixed(2);
const ratios = (e: Timing[]): string =>
  `${ratio(e, 'wall')} wall, ${ratio(e, 'cpu')} CPU (best rounds: ${best(e, 'wall')} wall, ${best(e, 'cpu')} CPU)`;
console.log(`ratio engine / hand-written:    ${ratios(eng)}`);
console.log(`  a batch per advance:          ${ratios(step)}`);
console.log(`peak RSS: ${peakRssMB()} MB`);
