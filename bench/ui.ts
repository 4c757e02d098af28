/**
 * What the web UI costs.
 *  0. The UI's bookkeeping alone: its listener fed the five events of a batch, 200,000 times —
 *     a cost per batch that load on the machine barely moves (set it against a batch's time).
 *  1. Throughput: the wordcount of bench/wordcount.ts (queueStream → flatMap → map → reduceByKey,
 *     ManualClock) with `ui` on ÷ off, and on with the page's event stream open (an SSE client
 *     reading every batch). Medians of alternating rounds; wall and process CPU time.
 *  2. Memory over a long run: an hour of 1-second batches (3,600) with the page open in headless
 *     chromium, driven by a ManualClock so the hour passes in about a minute (the UI's memory
 *     depends on the number of batches, not on wall time: the history is bounded to
 *     `retainedBatches`, default 1000). Prints the process heap and the page's JS heap every
 *     600 batches. `--realtime S` also runs S seconds at a real 1 batch/s.
 * Run: npx tsx bench/ui.ts [megabytes=20] [rounds=5] [--realtime 120]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { JobProgress, ManualClock, StreamingContext } from '../src/index.js';
import { repeatTo, shakespeareLines } from './input.js';

const args = process.argv.slice(2);
const rt = args.indexOf('--realtime');
const realtimeSeconds = rt >= 0 ? Number(args[rt + 1]) : 0;
const positional = args.filter((a, i) => !a.startsWith('--') && (rt < 0 || i !== rt + 1));
const megabytes = Number(positional[0] ?? 20);
const rounds = Number(positional[1] ?? 5);

async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

const lines = repeatTo(shakespeareLines(), megabytes * 1024 * 1024);
const batches: string[][] = [];
for (let i = 0; i < lines.length; i += 2000) batches.push(lines.slice(i, i + 2000));

type Mode = 'off' | 'on' | 'on+page';

async function wordcount(mode: Mode): Promise<{ wall: number; cpu: number }> {
  const clock = new ManualClock();
  const ui = mode === 'off' ? undefined : { port: await freePort() };
  const ssc = new StreamingContext({ batchDuration: 1000, clock, ...(ui ? { ui } : {}) });
  let distinct = 0;
  ssc
    .queueStream(batches.slice())
    .flatMap((line) => line.split(' '))
    .map((w): [string, number] => [w, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD((rdd) => void (distinct += rdd.count()));
  await ssc.start();
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let reading: Promise<void> | undefined;
  if (mode === 'on+page') {
    const apps = (await (await fetch(`${ssc.uiWebUrl}api/v1/applications`)).json()) as Array<{ id: string }>;
    const res = await fetch(`${ssc.uiWebUrl}api/v1/applications/${apps[0]!.id}/streaming/events`);
    reader = res.body!.getReader();
    const r = reader;
    reading = (async () => {
      for (;;) if ((await r.read()).done) return;
    })().catch(() => undefined);
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await clock.advance(batches.length * 1000);
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  await reader?.cancel().catch(() => undefined);
  await reading;
  await ssc.stop();
  if (distinct === 0) throw new Error('no output');
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function throughput(): Promise<void> {
  console.log(`1. wordcount, ${megabytes} MB in ${batches.length} batches of 2,000 lines; ${rounds} alternating rounds`);
  const modes: Mode[] = ['off', 'on', 'on+page'];
  const t: Record<Mode, { wall: number[]; cpu: number[] }> = { off: { wall: [], cpu: [] }, on: { wall: [], cpu: [] }, 'on+page': { wall: [], cpu: [] } };
  await wordcount('off'); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const m of r % 2 === 0 ? modes : modes.slice().reverse()) {
      const x = await wordcount(m);
      t[m].wall.push(x.wall);
      t[m].cpu.push(x.cpu);
    }
  }
  const mb = lines.reduce((n, l) => n + l.length + 1, 0) / 1024 / 1024;
  for (const m of modes) {
    console.log(`   ui ${m.padEnd(8)} wall ${median(t[m].wall).toFixed(3)} s (${(mb / median(t[m].wall)).toFixed(1)} MB/s), CPU ${median(t[m].cpu).toFixed(3)} s`);
  }
  for (const m of ['on', 'on+page'] as const) {
    console.log(
      `   throughput ui ${m} ÷ off: wall ${(median(t.off.wall) / median(t[m].wall)).toFixed(3)}, CPU ${(median(t.off.cpu) / median(t[m].cpu)).toFixed(3)}`,
    );
  }
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

async function memory(): Promise<void> {
  const hour = 3600;
  console.log(`2. memory: ${hour} batches of 1 s (one hour of batch times) with the page open, at accelerated pace`);
  const clock = new ManualClock();
  const checkpoint = mkdtempSync(path.join(tmpdir(), 'dstreams-bench-ui-'));
  const profile = mkdtempSync(path.join(tmpdir(), 'dstreams-bench-chromium-'));
  const ssc = new StreamingContext({ batchDuration: 1000, clock, appName: 'bench-ui', ui: { port: await freePort() }, checkpointDir: checkpoint });
  const text = shakespeareLines();
  const queue: string[][] = [];
  for (let i = 0; i < hour; i++) queue.push(text.slice((i * 50) % (text.length - 50), ((i * 50) % (text.length - 50)) + 50));
  const words = ssc
    .queueStream(queue)
    .flatMap((l) => l.split(' '))
    .map((w): [string, number] => [w, 1]);
  words.reduceByKey((a, b) => a + b).foreachRDD(() => undefined);
  words.updateStateByKey((vs: number[], s: number | undefined) => vs.reduce((a, b) => a + b, s ?? 0)).foreachRDD(() => undefined);
  await ssc.start();
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(ssc.uiWebUrl!);
  await page.waitForSelector('#live.on');
  const cdp = await browser.newCDPSession(page);
  await cdp.send('Performance.enable');
  const pageHeap = async (): Promise<number> => {
    await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
    return metrics.find((m) => m.name === 'JSHeapUsedSize')!.value;
  };
  const processHeap = (): number => {
    global.gc?.();
    return process.memoryUsage().heapUsed;
  };
  const nodes = async (): Promise<number> => page.evaluate('document.getElementsByTagName("*").length') as Promise<number>;
  console.log(`   batches   process heap   process RSS   page JS heap   page DOM nodes`);
  const report = async (n: number): Promise<void> => {
    await new Promise((r) => setTimeout(r, 300)); // let the page catch up
    console.log(
      `   ${String(n).padStart(7)}   ${mib(processHeap()).padStart(12)}   ${mib(process.memoryUsage().rss).padStart(11)}   ${mib(await pageHeap()).padStart(12)}   ${String(await nodes()).padStart(14)}`,
    );
  };
  await report(0);
  const t0 = performance.now();
  for (let i = 1; i <= hour; i++) {
    await clock.advance(1000);
    if (i % 20 === 0) await new Promise((r) => setTimeout(r, 15)); // the page renders at most ~once a frame anyway
    if (i % 600 === 0) await report(i);
  }
  console.log(`   (the simulated hour took ${((performance.now() - t0) / 1000).toFixed(0)} s)`);

  if (realtimeSeconds > 0) {
    console.log(`   then ${realtimeSeconds} s at a real 1 batch/s (the same context):`);
    for (let s = 1; s <= realtimeSeconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      await clock.advance(1000);
      if (s % 30 === 0) await report(hour + s);
    }
  }
  await browser.close();
  await ssc.stop();
  rmSync(checkpoint, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
}

function bookkeeping(): void {
  const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
  const p = new JobProgress(ssc);
  const n = 200_000;
  const c0 = process.cpuUsage();
  for (let i = 1; i <= n; i++) {
    const t = i * 1000;
    const inputs = { 0: { inputStreamId: 0, numRecords: 2000 } };
    p.onBatchSubmitted({ batchTime: t, numRecords: 2000, submissionTime: t, streamIdToInputInfo: inputs });
    p.onBatchStarted({ batchTime: t, numRecords: 2000, submissionTime: t, processingStartTime: t, schedulingDelay: 0 });
    p.onOutputOperationStarted({ batchTime: t, id: 0, name: 'foreachRDD', description: 'foreachRDD (stream 4)', startTime: t });
    p.onOutputOperationCompleted({ batchTime: t, id: 0, name: 'foreachRDD', description: 'foreachRDD (stream 4)', startTime: t, endTime: t + 2, duration: 2 });
    p.onBatchCompleted({
      batchTime: t,
      numRecords: 2000,
      submissionTime: t,
      processingStartTime: t,
      processingEndTime: t + 2,
      schedulingDelay: 0,
      processingDelay: 2,
      totalDelay: 2,
      streamIdToInputInfo: inputs,
    });
  }
  const c = process.cpuUsage(c0);
  console.log(`0. the UI's bookkeeping: ${((c.user + c.system) / n).toFixed(2)} µs of CPU per batch (its five events; ${p.completed.length} batches retained)`);
}

console.log('bench/ui (the machine is shared with other work: figures vary run to run)');
bookkeeping();
await throughput();
await memory();
