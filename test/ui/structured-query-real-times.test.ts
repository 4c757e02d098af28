// A structured query's engine runs on a private ManualClock that only counts micro-batches
// (batch N at (N + 1) s): `dstreams run`'s progress lines, the web UI's REST statistics and
// batches and /metrics must show the query's real trigger times, its trigger interval and the
// input rates of its StreamingQueryProgress — never 1970 and a 1 s "batch duration".
import { afterEach, describe, expect, it } from 'vitest';
import { StreamingContext } from '../../src/context/StreamingContext.js';
import { MemoryStream, SparkSession, type StreamingQuery } from '../../src/sql/index.js';
import '../../src/ui/index.js';
import { ProgressPrinter } from '../../src/ui/progress.js';
import { getJson, parseMetrics } from './helpers.js';

// Every context this file makes gets a progress printer writing here (as DSTREAMS_PROGRESS=1 does).
const contexts: StreamingContext[] = [];
const lines: string[] = [];
StreamingContext.registerAttachment('test-structured-times', (ssc) => {
  contexts.push(ssc);
  return new ProgressPrinter(ssc, (line) => void lines.push(line));
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  contexts.length = 0;
  lines.length = 0;
});

/** Starts a memory-to-memory query with a 500 ms trigger, the web UI on a free port; waits for `batches` batches with data. */
async function runQuery(batches: number): Promise<{ query: StreamingQuery; started: number; ui: string }> {
  const previous = process.env.DSTREAMS_UI;
  process.env.DSTREAMS_UI = '127.0.0.1:0';
  const spark = new SparkSession({ appName: 'real-times' });
  cleanups.push(async () => {
    await spark.stop();
    if (previous === undefined) delete process.env.DSTREAMS_UI;
    else process.env.DSTREAMS_UI = previous;
  });
  const input = new MemoryStream<number>(spark, 'integer');
  const started = Date.now();
  const query = await input.toDF().writeStream.format('memory').queryName('timed').trigger({ processingTime: 500 }).start();
  for (let i = 0; query.recentProgress.length < batches; i++) {
    if (i > 400) throw new Error(`only ${query.recentProgress.length} batches in 20 s`);
    if (i % 10 === 0) input.addData(i, i + 1, i + 2);
    await new Promise((r) => setTimeout(r, 50));
  }
  const ui = contexts.map((c) => c.uiWebUrl).find((u) => u !== undefined);
  if (ui === undefined) throw new Error('the query engine context has no web UI');
  return { query, started, ui };
}

/** `HH:mm:ss[.SSS]` of a progress line, as a time today near `near`. */
function lineTime(line: string, near: number): number {
  const m = /^batch (\d\d):(\d\d):(\d\d)(?:\.(\d{3}))?/.exec(line);
  if (!m) throw new Error(`not a batch line: ${line}`);
  const d = new Date(near);
  d.setHours(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0));
  return d.getTime();
}

describe("a structured query's progress lines and web UI show its real trigger times", () => {
  it('progress lines: the trigger interval, wall-clock batch times, batchIds and the progress input rates', async () => {
    const { query, started } = await runQuery(3);
    const now = Date.now();
    expect(lines[0]).toContain(`real-times: query timed [id = ${query.id}, runId = ${query.runId}] started, a batch every 0.5 s`);
    const batchLines = lines.filter((l) => l.startsWith('batch '));
    expect(batchLines.length).toBeGreaterThanOrEqual(3);
    for (const [i, line] of batchLines.entries()) {
      const t = lineTime(line, now);
      expect(t).toBeGreaterThanOrEqual(started - 1000);
      expect(t).toBeLessThanOrEqual(now + 1000);
      expect(line).toContain(`| batchId ${i} |`);
      // The time is the progress's timestamp, the rate its inputRowsPerSecond.
      const p = query.recentProgress[i]!;
      // (Shown times strictly increase: a trigger in the same millisecond as the last is 1 ms on.)
      expect(t - Date.parse(p.timestamp)).toBeGreaterThanOrEqual(0);
      expect(t - Date.parse(p.timestamp)).toBeLessThanOrEqual(5);
      const rate = Number(/\| ([\d.]+) records\/s/.exec(line)![1]);
      expect(rate).toBeCloseTo(p.inputRowsPerSecond, p.inputRowsPerSecond >= 10 ? -1 : 1);
    }
  }, 30_000);

  it('REST statistics, batches and /metrics: start time, batch times now, the trigger interval as batchDuration', async () => {
    const { query, started, ui } = await runQuery(2);
    const [app] = await getJson<{ id: string }[]>(`${ui}api/v1/applications`);
    const base = `${ui}api/v1/applications/${app!.id}/streaming`;
    const stats = await getJson<Record<string, unknown>>(`${base}/statistics`);
    const now = Date.now();
    const date = (s: unknown): number => Date.parse(String(s).replace('GMT', 'Z'));
    expect(stats.batchDuration).toBe(500);
    expect(date(stats.startTime)).toBeGreaterThanOrEqual(started - 1000);
    expect(date(stats.startTime)).toBeLessThanOrEqual(now);
    expect(stats.streamingQuery).toEqual({ id: query.id, runId: query.runId, name: 'timed', trigger: 'a batch every 0.5 s', triggerInterval: 500 });

    const batches = await getJson<Record<string, unknown>[]>(`${base}/batches?status=completed`);
    expect(batches.length).toBeGreaterThanOrEqual(2);
    for (const b of batches) {
      expect(date(b.batchTime)).toBeGreaterThanOrEqual(started - 1000);
      expect(date(b.batchTime)).toBeLessThanOrEqual(now);
      expect(b.batchId).toBe(date(b.batchTime));
      expect(b.batchDuration).toBe(500);
      const p = query.recentProgress.find((x) => x.batchId === b.queryBatchId)!;
      expect(b.inputRate).toBe(p.inputRowsPerSecond);
    }
    const one = await getJson<Record<string, unknown>>(`${base}/batches/${String(batches[0]!.batchId)}`);
    for (const k of ['submissionTime', 'processingStartTime', 'processingEndTime']) {
      expect(date(one[k])).toBeGreaterThanOrEqual(started - 1000);
    }

    const metrics = parseMetrics(await (await fetch(`${ui}metrics`)).text());
    const last = metrics.get('dstreams_last_batch_time_seconds{app="real-times",query="timed"}');
    expect(last! * 1000).toBeGreaterThanOrEqual(started - 1000);
    expect(last! * 1000).toBeLessThanOrEqual(Date.now());
  }, 30_000);
});
