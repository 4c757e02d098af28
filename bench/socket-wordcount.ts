/**
 * Socket wordcount end to end: a feeder process writes the text at full speed over loopback
 * TCP (the book's Shakespeare text repeated to the size asked, ≥ 20 MB); the engine
 * (socketTextStream → flatMap(split) → map([w, 1]) → reduceByKey, every batch's counts added
 * to running totals) against a raw Node socket read + line split + Map count loop over the
 * same bytes from the same feeder. Prints words/s of both and the ratio (goal ≥ 0.6); never
 * fails. The time runs from the connection to the last word counted.
 *
 * Run: npx tsx bench/socket-wordcount.ts [megabytes=40] [batchMs=250] [rounds=3] [--wal]
 * (--wal: one more engine run with the receiver write-ahead log on, for its cost.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { StreamingContext } from '../src/index.js';
import { SocketReceiver } from '../src/receivers/index.js';
import { peakRssMB, repeatTo, shakespeareLines, startFeeder } from './input.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const withWal = process.argv.includes('--wal');
const megabytes = Number(args[0] ?? 40);
const batchMs = Number(args[1] ?? 250);
const rounds = Number(args[2] ?? 3);

const lines = repeatTo(shakespeareLines(), megabytes * 1024 * 1024);
const text = lines.join('\n') + '\n';
const bytes = Buffer.byteLength(text);
let totalWords = 0;
for (const l of lines) totalWords += l.split(' ').length;
const dir = mkdtempSync(path.join(tmpdir(), 'dstreams-bench-'));
const file = path.join(dir, 'input.txt');
writeFileSync(file, text);

/** The raw loop: read, decode, split lines, split words, count in a Map. */
async function raw(): Promise<{ seconds: number; words: number; distinct: number }> {
  const port = await startFeeder(file);
  return new Promise((resolve) => {
    const counts = new Map<string, number>();
    const decoder = new StringDecoder('utf8');
    let partial = '';
    let words = 0;
    const t0 = performance.now();
    const count = (line: string): void => {
      const ws = line.split(' ');
      words += ws.length;
      for (const w of ws) counts.set(w, (counts.get(w) ?? 0) + 1);
    };
    const socket = net.connect(port, '127.0.0.1');
    socket.on('data', (chunk: Buffer) => {
      const s = partial + decoder.write(chunk);
      const parts = s.split('\n');
      partial = parts.pop()!;
      for (const line of parts) count(line);
    });
    socket.on('end', () => {
      if (partial.length > 0) count(partial);
      resolve({ seconds: (performance.now() - t0) / 1000, words, distinct: counts.size });
    });
  });
}

/** The engine: the netcat wordcount with running totals. */
async function engine(wal = false): Promise<{ seconds: number; words: number; distinct: number; batches: number }> {
  const port = await startFeeder(file);
  const checkpointDir = wal ? mkdtempSync(path.join(tmpdir(), 'dstreams-bench-wal-')) : undefined;
  const ssc = new StreamingContext({ batchDuration: batchMs, receiverWriteAheadLog: wal, checkpointDir });
  const totals = new Map<string, number>();
  let words = 0;
  let batches = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  let t0 = 0;
  const receiver = new SocketReceiver('127.0.0.1', port);
  ssc.addStreamingListener({ onReceiverStarted: () => void (t0 ||= performance.now()) });
  ssc
    .receiverStream(receiver)
    .flatMap((line) => line.split(' '))
    .map((w): [string, number] => [w, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD((rdd) => {
      batches++;
      rdd.foreach(([w, n]) => {
        totals.set(w, (totals.get(w) ?? 0) + n);
        words += n;
      });
      if (words >= totalWords) done();
    });
  await ssc.start();
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await ssc.stop();
  if (checkpointDir) rmSync(checkpointDir, { recursive: true, force: true });
  return { seconds, words, distinct: totals.size, batches };
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
let bestRaw = Infinity;
let bestEngine = Infinity;
let batches = 0;
for (let i = 0; i < rounds; i++) {
  const r = await raw();
  const e = await engine();
  if (r.words !== totalWords || e.words !== totalWords || r.distinct !== e.distinct) {
    console.log(`MISMATCH: raw ${r.words} words / ${r.distinct} distinct, engine ${e.words} / ${e.distinct}, expected ${totalWords}`);
  }
  bestRaw = Math.min(bestRaw, r.seconds);
  if (e.seconds < bestEngine) {
    bestEngine = e.seconds;
    batches = e.batches;
  }
}
const walRun = withWal ? await engine(true) : undefined;
rmSync(dir, { recursive: true, force: true });

console.log(`input: ${(bytes / 1048576).toFixed(1)} MB over loopback TCP, ${lines.length.toLocaleString('en-US')} lines, ${fmt(totalWords)} words`);
console.log(`raw socket read + line split + Map count: ${fmt(totalWords / bestRaw)} words/s (${bestRaw.toFixed(2)} s, ${(bytes / 1048576 / bestRaw).toFixed(0)} MB/s, best of ${rounds})`);
console.log(`dstreams socketTextStream wordcount:      ${fmt(totalWords / bestEngine)} words/s (${bestEngine.toFixed(2)} s, ${(bytes / 1048576 / bestEngine).toFixed(0)} MB/s, ${batches} batches of ${batchMs} ms)`);
console.log(`ratio engine / raw:                       ${(bestRaw / bestEngine).toFixed(2)}`);
if (walRun) {
  console.log(`… with the write-ahead log (fsync):         ${fmt(totalWords / walRun.seconds)} words/s (${walRun.seconds.toFixed(2)} s, ratio ${(bestRaw / walRun.seconds).toFixed(2)})`);
}
console.log(`peak RSS: ${peakRssMB()} MB`);
