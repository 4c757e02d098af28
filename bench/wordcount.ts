/**
 * Wordcount throughput: the engine (queueStream → flatMap(split) → map([w, 1]) → reduceByKey,
 * driven by a ManualClock) against a hand-written split + Map count over the same lines.
 * Run: npx tsx bench/wordcount.ts [megabytes=50] [linesPerBatch=20000]
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

async function engine(): Promise<number> {
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
  await clock.advance(batches.length * 1000);
  await ssc.stop();
  return distinct;
}

async function time<T>(f: () => T | Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await f();
  return [(performance.now() - t0) / 1000, r];
}

// Warm both paths up once on a slice, then measure the best of three runs each.
const rounds = 3;
let bestHand = Infinity;
let bestEngine = Infinity;
let check: [number, number] = [0, 0];
for (let i = 0; i < rounds; i++) {
  const [th, dh] = await time(handWritten);
  const [te, de] = await time(engine);
  bestHand = Math.min(bestHand, th);
  bestEngine = Math.min(bestEngine, te);
  check = [dh, de];
}
if (check[0] !== check[1]) throw new Error(`engine and hand-written disagree: ${check[1]} vs ${check[0]} distinct words`);

const mb = lines.reduce((n, l) => n + l.length + 1, 0) / 1024 / 1024;
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
console.log(`input: ${mb.toFixed(1)} MB, ${lines.length.toLocaleString('en-US')} lines, ${fmt(totalWords)} words, ${batches.length} batches of ${linesPerBatch} lines`);
console.log(`hand-written split + Map count: ${fmt(totalWords / bestHand)} words/s (${bestHand.toFixed(2)} s, best of ${rounds})`);
console.log(`dstreams engine wordcount:      ${fmt(totalWords / bestEngine)} words/s (${bestEngine.toFixed(2)} s, best of ${rounds})`);
console.log(`ratio engine / hand-written:    ${(bestHand / bestEngine).toFixed(2)}`);
console.log(`peak RSS: ${peakRssMB()} MB`);
