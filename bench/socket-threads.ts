/**
 * Socket wordcount on 1, 2 and `cores` worker threads: the netcat wordcount job
 * (bench/jobs/wordcount.job.ts) reading the Shakespeare text (repeated to the size asked) from a
 * feeder process at full speed over loopback TCP. With more than one thread the lines stay bytes
 * until a worker decodes them, and the workers combine map-side; the main thread receives, cuts
 * the batches and merges the combined pairs. Prints words/s and the ratio to one thread (median
 * of the rounds); never fails. The time runs from the connection to the last word counted. Each
 * run is a context of its own; a stopped context's pool serves the next run of the same size
 * (WorkerPool.release), so from the second round on the threads' code is compiled, as the one
 * thread's is.
 *
 * Also the CPU seconds the run took on the main thread and on all the process's other threads
 * (pool workers, GC helpers; Linux /proc), which load moves less than wall time: the main
 * thread's share is the part of the work that does not spread over the cores. On a machine
 * shared with other sessions (Linux autogroups), a process gets its group's share of the CPU
 * however many threads it runs, so more threads cannot show there.
 *
 * Run: npx tsx bench/socket-threads.ts [megabytes=60] [batchMs=250] [rounds=3]
 *
 * Findings:
 * - Dec 1 (previous session, quiet): 2 threads ÷ 1 = 1.65-1.68, main thread 0.15 s CPU.
 * - Dec 1 18:05-18:30, a freshly booted VM (load ~1; two CPU-bound processes scale 1.0x here):
 *   1.24-1.26 on the same code, 1 thread 4.0-4.1 M words/s (2.6 s main + 0.7 s other threads),
 *   2 threads 5.1 M (0.74-0.78 s main, 3.3-3.5 s other threads): 4.2 s of CPU against 3.3 s, on
 *   2 cores shared with the feeder process. Main thread, measured in place: copying a batch's
 *   lines into the slices 0.08-0.21 s per run (60 MB at ~0.7 GB/s from socket chunks out of
 *   cache), counting lines 0.06-0.26 s, GC ~0.3 s. Reusing the buffers the threads send back
 *   (no fresh pages to fault in) did not change the figures: tried, not kept. The threads' own
 *   GC (1.2 s together) is most of the extra CPU.
 * - Dec 1 night, freshly booted VM (load ~1): 1.26 (60 MB), 1.33 (200 MB: not the threads' JIT
 *   warm-up then). Per thread (/proc, 60 MB, 2 threads): main 0.93 s (0.45 s of it system time),
 *   workers 1.5-1.9 s each, V8's helper threads ~0.8 s: ~5.0 s of CPU against 3.6 s on one
 *   thread, with both cores busy. A worker combines 15-20 MB/s, no faster than the one thread's
 *   whole pipeline; posting its result takes 3-10 ms a task. Two memory-bound processes (split +
 *   Map count) run 15 % slower each side by side here (1.27-1.35 s alone, 1.48-1.55 s as a pair),
 *   while two spin loops scale 1.0x. Decoding a task's bytes in 256 KB pieces instead of at once
 *   was slower (3.06 s against 2.54 s): tried, not kept.
 * - Dec 2 (quiet, freshly booted): the code of Dec 1 night gives 1.45-1.65 here today (60 MB;
 *   main 0.20 s, other threads 2.47-2.67 s). A thread's profile: the fused fold 0.69 s, split
 *   0.46-0.52 s, GC 0.26-0.35 s, decoding 0.12 s. The task's lines were decoded into one array
 *   that lived through the whole task, so every scavenge meanwhile copied it; reading them one at
 *   a time (LinesRDD.compute) takes the threads' GC to 0.11-0.18 s: other threads 2.25-2.28 s,
 *   2 threads ÷ 1 = 1.64-1.76 at 60 MB (three runs), 1.83 at 200 MB. Both cores stay busy (main
 *   0.19 s + threads 2.27 s + the feeder, over 1.4 s), so the rest is the threads' own work: the
 *   fold's Map lookups and the split.
 * - Dec 2, late afternoon (freshly booted, quiet): one thread is faster, 6.2-6.7 M words/s, and
 *   2 threads ÷ 1 = 1.67, 1.52, 1.60 at 60 MB, 1.64 at 200 MB. At 200 MB the 2-thread run took
 *   0.74 s of main thread and 6.38 s of other threads over 3.93 s (1.81 of the 2 cores), against
 *   6.75 s in all on one thread; the feeder process has the rest.
 * - Dec 2, evening (a slow VM: one thread 2.3-3.9 M words/s): 1.26, 1.36. A timeline of a
 *   2-thread run, per batch: the main thread copies the batch's blocks into the slices in 9-62 ms
 *   (fresh pages; 0.4 ms when the memory was reused), the slower thread finishes 30-150 ms after
 *   the faster one, and the merge takes 18-47 ms, the threads idle meanwhile. Tried: a batch's
 *   slices sent to the pool as soon as the batch is generated, one batch ahead (a BatchHooks
 *   onBatchSubmitted), so the threads take the next batch while this thread merges the last. The
 *   gaps closed (2.14-2.18 s against 2.44-2.86 s in one set of runs), but alternated with the code
 *   before, five runs each: 1.37, 1.45, 1.49, 1.50, 1.46 against 1.39, 1.39, 1.49, 1.61, 1.48.
 *   Both cores are busy anyway (main ~0.9 s + threads 3.1-4.4 s + the feeder over ~2.3 s): the
 *   threads' idle moments were the main thread's and the feeder's. Not kept. (The feeder alone
 *   takes ~0.3 s of CPU, most of it system time, to send 60 MB.)
 *   Kept: the threads give each slice's buffer back with their answer, and the next batch's
 *   lines are copied into it (src/workers/SliceBuffers.ts): the main thread's profile had the
 *   copy into fresh buffers (sliceLines) and countLines as its two largest parts, ~0.25 s and
 *   ~0.1-0.2 s a 60 MB run. Alternated with the code before, six pairs at 60 MB: 1.21, 1.58,
 *   1.48, 1.43, 1.45, 1.44 against 1.29, 1.45, 1.32, 1.37, 1.36, 1.21 (2 threads 4.7-5.5 M
 *   words/s against 3.8-5.3 M); main thread 0.65-0.79 s against 0.75-1.02 s. At 200 MB, one
 *   pair: 1.74 against 1.41 (main thread 2.18 s against 2.91 s, other threads 9.83 s against
 *   10.94 s); a later run of the new code, the VM slower still: 1.28 (other threads 12.24 s for
 *   the same work). A 2-thread run's pool is new, so its threads' JIT warms up inside the timed
 *   run while the one thread's is warm (the first batch: ~7 MB/s a thread, later 15-20 MB/s).
 * - Dec 2 night (a fresh VM; one thread 4.2-4.4 M words/s): 1.32 (3 rounds), 1.47 (5 rounds) at
 *   60 MB. The CPU of the 5-round run: one thread 2.51 s main + 0.69 s other threads = 3.20 s,
 *   two threads 0.63 + 2.68 = 3.31 s. The pool's own cost (slices, results, merge) is down to
 *   ~0.1 s; the two threads and the feeder (~0.3 s) keep ~1.9 of the 2 cores busy. So the ratio is
 *   bounded by the work itself: with the feeder on the same two cores, even a pool costing
 *   nothing runs 60 MB in (3.20 + 0.3) / 2 = 1.75 s against 2.82 s, a ratio of 1.61. 1.7 needs
 *   the threads to count a word with less CPU than the one thread does, or the feeder elsewhere.
 *   Measured and not built: the results sent as one JSON text of the keys and a Float64Array of
 *   the counts instead of a structured clone of the pairs — 7.2 against 12.8 ms a task of 25 k
 *   pairs (post + receive, in isolation), ~0.09 s of a 60 MB run's 3.3 s: within this machine's
 *   noise. At 200 MB (one round) 2.15: 3.6 -> 7.7 M words/s, CPU 10.24 + 2.53 s on one thread
 *   against 1.80 + 7.73 s on two. Over 200 MB the one thread falls behind the feeder, and its
 *   backlog of received lines grows in its own heap (peak RSS 1.36 GB), every GC dearer; the
 *   threads keep up better. That ratio measures the backlog as well as the cores.
 * - Dec 3 (5 rounds at 60 MB): 1.71 (3.42 -> 5.87 M words/s; one thread 3.29 + 0.38 s of CPU,
 *   two 0.29 + 3.54 s) and, an hour later, 1.62 (3.49 -> 5.65 M). The code of the threads' path
 *   is Dec 2 night's: the machine.
 * - Dec 3 morning (a fast VM: one thread 6.4-7.1 M words/s): 1.66 (3 rounds), 1.52 (5 rounds);
 *   3-round runs of the same code a few minutes apart: 1.70, 1.41. A timeline of a 2-thread run:
 *   the feeder sends the 60 MB within one 250 ms batch interval, so the run is that interval
 *   (the main thread receiving, the threads idle) and then ~860 ms of the two threads on one
 *   batch (their slices done within 25 ms of each other, the merge 13 ms). Tried: each block of
 *   lines sent to the pool as it is cut, with blocks also cut at 4 or 16 MB, so the threads start
 *   while the batch is still being received. The threads then ran slower (16 MB in ~630 ms each,
 *   26 MB/s, against 35 MB/s after the interval): the main thread's receiving and the feeder
 *   already keep both cores busy during the interval, so there is no idle core to start on; and
 *   more tasks made more combined pairs to send back (other threads 2.0-2.2 s of CPU against
 *   1.8-1.9). 1.26-1.46 against 1.37-1.70 for the code before in the same minutes. Not kept.
 * - Dec 4 (a fresh VM; one thread 4.3-5.1 M words/s). A thread's profile (built code, one 60 MB
 *   run): the user's split 0.40-0.45 s, the fused fold 0.32-0.39 s, decoding the task's bytes
 *   0.19 s, GC 0.13-0.16 s, and ~0.7 s importing the job's modules at pool start (before the
 *   timed part). The decoding was one string of the whole slice (~30 MB, fresh pages: a fault
 *   every 4 KB). LinesRDD now decodes 16 KB at a time, cut after a newline: decoding 0.02 s, GC
 *   0.10 s. Four pairs alternated with the code before: 2 threads 6.95-7.29 -> 7.50-7.64 M
 *   words/s, other threads' CPU 2.39-2.53 -> 2.19-2.28 s, ratio 1.36-1.49 -> 1.52-1.60. Then
 *   5-round runs: 1.60 and 1.59 (4.7 -> 7.6 and 4.3 -> 6.8 M words/s). A 2-thread timeline: the
 *   first ~200 ms the main thread receives (both cores busy with it and the feeder, the threads
 *   idle), then the threads work ~1.1 s on two batches. Tried, not kept: the combining table as a
 *   Map from key to slot with the combiners in an array (one hash lookup a value instead of a
 *   get and a set; 15 % faster in a .scratch microbench): socket threads unchanged, and
 *   bench/wordcount.ts fell from 0.94-0.96 to 0.82-0.85 in two alternated pairs. Not counting
 *   the lines as they are received (a hack, to bound what it costs): unchanged.
 *   Then the pool kept across contexts of the same job (WorkerPool.release; a context's start on
 *   a kept pool took 3 ms against 1.6 s for new threads under tsx): three 5-round pairs
 *   alternated with the code before, other threads' CPU 2.21-2.50 -> 1.98-2.30 s, 2 threads
 *   6.63-7.88 -> 7.36-7.55 M words/s, ratio 1.36-1.58 -> 1.54-1.59.
 * - Dec 4, later (a fast VM; one thread 5.3-5.9 M words/s): 1.76, 1.78, 1.61 (5 rounds), 1.66 (6
 *   rounds) at 60 MB; 1.76 at 100 MB (5.31 -> 9.34 M words/s). The kept pool's threads rebuild
 *   the graph for each context, and stage.ts stops specialising a chain's code to its functions
 *   after four sets of the same source text: a .scratch run of nine contexts in a row, that limit
 *   4 against 1000, took the same time a batch (224-301 ms either way): V8 inlines closures made
 *   at the same place alike.
 * - Dec 6, 00:20 (a fast VM, freshly booted; 100 MB, 5 rounds): 1 thread 6.82 M words/s (CPU
 *   2.67 s main + 0.34 s), 2 threads 12.58 M (0.24 s main + 2.61 s): 1.84; again 6.93 -> 12.29 M,
 *   1.77. A young generation of 64 MB (--max-semi-space-size=64): 6.38 -> 11.71 M, no better. A
 *   2-thread profile (two 100 MB runs): each thread's fused stage (the fold's Map lookups) ~0.75 s
 *   a run, the user's split ~0.5 s, decoding ~0.07 s, GC ~0.08 s.
 *   Then the combining table as slots (PairTable: key -> slot, the combiners in an array; one hash
 *   lookup a value instead of a get and a set — tried Dec 4 and not kept, when wordcount.ts fell).
 *   Two pairs alternated with the code before (a worktree), 100 MB, 5 rounds: 2 threads 14.32 and
 *   12.57 M words/s against 10.34 and 11.65 M; the threads' CPU 2.27 / 2.56 s against 3.07 / 2.88
 *   s; one thread 7.80 / 7.00 M against 5.99 / 6.71 M. bench/wordcount.ts in the same minutes: 0.95
 *   / 0.93 wall against 0.82 / 0.89 (medians). Kept.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { peakRssMB, repeatTo, shakespeareLines, startFeeder } from './input.js';
import { job, progress } from './jobs/wordcount.job.js';

const megabytes = Number(process.argv[2] ?? 60);
const batchMs = Number(process.argv[3] ?? 250);
const rounds = Number(process.argv[4] ?? 3);
const cores = availableParallelism();

const lines = repeatTo(shakespeareLines(), megabytes * 1024 * 1024);
const text = lines.join('\n') + '\n';
let totalWords = 0;
for (const l of lines) totalWords += l.split(' ').length;
const dir = mkdtempSync(path.join(tmpdir(), 'dstreams-bench-'));
const file = path.join(dir, 'input.txt');
writeFileSync(file, text);

/** CPU seconds of this process's threads by thread id (Linux); empty elsewhere. */
function threadCpu(): Map<number, number> {
  const out = new Map<number, number>();
  if (!existsSync('/proc/self/task')) return out;
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8').trim();
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** CPU seconds between two snapshots: the main thread's, and all other threads'. */
function cpuBetween(a: Map<number, number>, b: Map<number, number>): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const [t, s] of b) {
    const d = s - (a.get(t) ?? 0);
    if (t === process.pid) main += d;
    else others += d;
  }
  return { main, others };
}

async function run(workers: number): Promise<{ seconds: number; distinct: number; batches: number; cpu: { main: number; others: number } }> {
  const port = await startFeeder(file);
  progress.words = 0;
  progress.batches = 0;
  progress.totals = new Map();
  const ssc = job.create({ batchDuration: batchMs, workers }, { host: '127.0.0.1', port });
  let t0 = 0;
  let cpu0 = new Map<number, number>();
  ssc.addStreamingListener({
    onReceiverStarted: () => {
      if (t0) return;
      t0 = performance.now();
      cpu0 = threadCpu();
    },
  });
  await ssc.start();
  while (progress.words < totalWords) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuBetween(cpu0, threadCpu());
  await ssc.stop();
  return { seconds, distinct: progress.totals.size, batches: progress.batches, cpu };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const counts = [...new Set([1, 2, cores])];
const seconds = new Map<number, number[]>(counts.map((c) => [c, []]));
const cpuMain = new Map<number, number[]>(counts.map((c) => [c, []]));
const cpuOthers = new Map<number, number[]>(counts.map((c) => [c, []]));
let distinct: number | undefined;
await run(1); // warm-up
for (let i = 0; i < rounds; i++) {
  // Rounds alternate the thread counts, so a busy moment of the machine falls on all alike.
  for (const w of counts) {
    const r = await run(w);
    if (distinct !== undefined && r.distinct !== distinct) console.log(`MISMATCH: ${r.distinct} distinct words on ${w} threads, ${distinct} before`);
    distinct = r.distinct;
    seconds.get(w)!.push(r.seconds);
    cpuMain.get(w)!.push(r.cpu.main);
    cpuOthers.get(w)!.push(r.cpu.others);
  }
}
rmSync(dir, { recursive: true, force: true });

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const mb = Buffer.byteLength(text) / 1048576;
console.log(`input: ${mb.toFixed(1)} MB over loopback TCP, ${fmt(totalWords)} words, ${batchMs} ms batches; ${cores} cores; medians of ${rounds} rounds`);
const one = median(seconds.get(1)!);
for (const w of counts) {
  const s = median(seconds.get(w)!);
  const label = `${w} thread${w === 1 ? ' ' : 's'}${w === cores ? ' (cores)' : ''}:`.padEnd(20);
  const cm = median(cpuMain.get(w)!);
  const co = median(cpuOthers.get(w)!);
  console.log(
    `${label} ${fmt(totalWords / s).padStart(12)} words/s (${s.toFixed(2)} s, ${(mb / s).toFixed(0)} MB/s)   ratio to 1 thread ${(one / s).toFixed(2)}` +
      `   CPU: main thread ${cm.toFixed(2)} s, other threads ${co.toFixed(2)} s`,
  );
}
console.log(`peak RSS: ${peakRssMB()} MB`);
