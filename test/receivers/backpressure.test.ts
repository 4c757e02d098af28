// Backpressure: a feeder (the `dstreams feed` CLI in a child process) sends 10× faster than the
// job can process (a slow foreachRDD). The PID estimator brings the receiver's rate down to the
// job's, the socket is paused so TCP holds the feeder back, the backlog held in this process
// stays bounded, and once the feeder stops every line has been counted exactly once.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StreamingContext } from '../../src/index.js';
import { SocketReceiver } from '../../src/receivers/index.js';
import { PIDRateEstimator } from '../../src/rate/index.js';
import { freePort, ROOT, sleep, tempDir, waitFor } from './helpers.js';

describe('PIDRateEstimator (Spark\'s)', () => {
  it('gives no estimate for the first batch, nor without records, processing time or a later time', () => {
    const p = new PIDRateEstimator(1000);
    expect(p.compute(1000, 5000, 1000, 0)).toBeUndefined();
    expect(p.compute(1000, 5000, 1000, 0)).toBeUndefined(); // same time
    expect(p.compute(2000, 0, 1000, 0)).toBeUndefined();
    expect(p.compute(2000, 5000, 0, 0)).toBeUndefined();
  });

  it('computes kp·error + ki·historicalError as Spark does', () => {
    const p = new PIDRateEstimator(1000);
    p.compute(1000, 5000, 1000, 0); // rate 5000/s
    // Processing 5000 records took 2 s (2500/s) and the batch waited 1 s:
    // error = 5000 - 2500, historical = 1000 * 2500 / 1000 → 5000 - 2500 - 0.2 * 2500 = 2000.
    expect(p.compute(2000, 5000, 2000, 1000)).toBeCloseTo(2000, 6);
  });

  it('follows a steady processing speed and never goes under minRate', () => {
    const p = new PIDRateEstimator(20, { proportional: 1, integral: 1, derived: 0, minRate: 10 });
    const out: (number | undefined)[] = [];
    for (let i = 0; i < 20; i++) out.push(p.compute(i * 20 + 1, 1000, 20, 0));
    expect(out[0]).toBeUndefined();
    for (const r of out.slice(1)) expect(r).toBeCloseTo(50_000, 6);
    const q = new PIDRateEstimator(1000, { minRate: 10 });
    q.compute(1, 100, 1000, 0);
    expect(q.compute(1001, 100, 1000, 1_000_000)).toBe(10);
  });
});

describe('backpressure', () => {
  it('keeps up with a feeder 10x faster than the job: bounded backlog and memory, nothing lost', async () => {
    const total = 60_000;
    const jobRate = 6_000; // lines per second the slow output operation manages
    const feederRate = 10 * jobRate;
    const { dir, remove } = tempDir();
    try {
      const pad = ' lorem ipsum dolor sit amet consectetur'.repeat(7);
      const file = path.join(dir, 'feed.txt');
      writeFileSync(file, Array.from({ length: total }, (_, i) => `${i}${pad}`).join('\n') + '\n');
      const port = await freePort();

      const ssc = new StreamingContext({
        batchDuration: 250,
        blockInterval: 50,
        backpressure: true,
        backpressureInitialRate: 2 * jobRate,
      });
      const receiver = new SocketReceiver('127.0.0.1', port);
      const stream = ssc.receiverStream(receiver);
      const seen = new Uint8Array(total);
      let processed = 0;
      let maxBacklog = 0;
      const backlog: Array<[number, number]> = [];
      const rates: number[] = [];
      stream.foreachRDD(async (rdd) => {
        const lines = rdd.collect();
        for (const l of lines) seen[Number(l.slice(0, l.indexOf(' ')))]!++;
        await sleep((lines.length / jobRate) * 1000);
        processed += lines.length;
        rates.push(Math.round(stream.rateLimit));
      });
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
        const b = receiver.stats.lines - processed;
        maxBacklog = Math.max(maxBacklog, b);
        backlog.push([performance.now(), b]);
      }, 20);
      await ssc.start();

      const t0 = performance.now();
      const feeder = spawn(
        process.execPath,
        [path.join(ROOT, 'src/cli/bin.mjs'), 'feed', '--file', file, '--port', String(port), '--host', '127.0.0.1',
          '--lines-per-second', String(feederRate), '--exit-when-done', '--quiet'],
        { stdio: 'inherit' },
      );
      const feederDone = new Promise<number>((r) => feeder.once('exit', () => r(performance.now() - t0)));
      await waitFor(() => processed >= total, 'every line to be processed', 55_000);
      const feederMs = await feederDone;
      const elapsed = performance.now() - t0;
      clearInterval(sampler);
      await ssc.stop();

      // Once the estimator has settled (the second half of the run), the backlog is about a batch.
      const mid = t0 + elapsed / 2;
      const settledBacklog = Math.max(...backlog.filter(([t]) => t > mid && t < t0 + feederMs).map(([, b]) => b));
      const dupes = seen.filter((n) => n > 1).length;
      const missing = seen.filter((n) => n === 0).length;
      const mb = (b: number): number => Math.round(b / 1048576);
      console.log(
        `backpressure: ${total} lines, feeder asked for ${feederRate}/s and took ${(feederMs / 1000).toFixed(1)} s ` +
          `(${(total / feederRate).toFixed(1)} s unthrottled); job ${jobRate}/s took ${(elapsed / 1000).toFixed(1)} s; ` +
          `max backlog ${maxBacklog} lines, ${settledBacklog} once settled; rate limit ${rates.slice(0, 3).join(', ')} … ${rates.slice(-3).join(', ')}; ` +
          `RSS ${mb(baseline)} MB → peak ${mb(peak)} MB (+${mb(peak - baseline)} MB for ${mb(total * (pad.length + 6))} MB of text); ` +
          `socket paused ${receiver.stats.paused} times`,
      );
      expect(missing).toBe(0);
      expect(dupes).toBe(0);
      expect(processed).toBe(total);
      // The job kept to its own pace: the whole run took about total / jobRate.
      expect(elapsed).toBeGreaterThan((total / jobRate) * 1000 * 0.8);
      // The receiver was throttled to about the job's rate (the PID's estimate), not the feeder's.
      const settled = rates.slice(Math.floor(rates.length / 2));
      expect(Math.max(...settled)).toBeLessThan(feederRate / 3);
      // Unthrottled, nearly all 60,000 lines would have been waiting here within a second; the
      // peak comes before the first estimate (two completed batches at the initial rate).
      expect(maxBacklog).toBeLessThan(total / 2);
      // Settled: about a batch or two of work waiting (under a second when the machine is quiet;
      // timers run late on a loaded machine, so the bound is two seconds of the job's work —
      // unthrottled, 54,000 of the 60,000 lines would be waiting after a second).
      expect(settledBacklog).toBeLessThan(2 * jobRate);

      expect(receiver.stats.paused).toBeGreaterThan(0);
      expect(peak - baseline).toBeLessThan(150 * 1048576);
    } finally {
      remove();
    }
  }, 60_000);
});
