// The web UI's REST JSON (Spark's shapes) and /metrics, read with plain fetch while a job runs.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, Receiver, StreamingContext } from '../../src/index.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { WebUi } from '../../src/ui/WebUi.js';
import { freePortBelow, getJson, parseMetrics } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dstreams-ui-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface SparkBatch {
  batchId: number;
  batchTime: string;
  status: string;
  inputSize: number;
  numTotalOutputOps: number;
  numCompletedOutputOps: number;
  processingTime: number;
}

const BATCHES = [['to be or not to be'], ['that is the question', 'whether tis nobler'], [], ['in the mind to suffer'], ['to be']];

/** A ManualClock wordcount with state over BATCHES, its UI on a free port. */
async function wordcountWithUi(ui: { retainedBatches?: number } = {}): Promise<{ ssc: StreamingContext; clock: ManualClock; base: string }> {
  const clock = new ManualClock();
  const port = await freePortBelow();
  const ssc = new StreamingContext({ batchDuration: 1000, clock, appName: 'ui-wordcount', ui: { port, ...ui } });
  ssc.checkpoint(tempDir());
  const pairs = ssc
    .queueStream(BATCHES.map((b) => b.slice()))
    .flatMap((l) => l.split(' '))
    .map((w): [string, number] => [w, 1]);
  pairs.reduceByKey((a, b) => a + b).foreachRDD(() => undefined);
  pairs.updateStateByKey((vs: number[], s: number | undefined) => vs.reduce((a, b) => a + b, s ?? 0)).pprint(0);
  cleanups.push(() => ssc.stop());
  await ssc.start();
  expect(ssc.uiWebUrl).toBe(`http://127.0.0.1:${port}/`);
  const apps = await getJson<Array<{ id: string; name: string }>>(`${ssc.uiWebUrl}api/v1/applications`);
  return { ssc, clock, base: `${ssc.uiWebUrl}api/v1/applications/${apps[0]!.id}/streaming/` };
}

describe('web UI: REST JSON and /metrics', () => {
  it('lists the one application, with the appName', async () => {
    const { ssc } = await wordcountWithUi();
    const apps = await getJson<Array<{ id: string; name: string; attempts: Array<{ completed: boolean }> }>>(`${ssc.uiWebUrl}api/v1/applications`);
    expect(apps).toHaveLength(1);
    expect(apps[0]!.id).toMatch(/^local-\d+$/);
    expect(apps[0]!.name).toBe('ui-wordcount');
    expect(apps[0]!.attempts[0]!.completed).toBe(false);
  });

  it('two UIs made in the same millisecond get distinct application ids', () => {
    const uis = Array.from({ length: 3 }, () => new WebUi(new StreamingContext({ batchDuration: 1000, clock: new ManualClock() }), { port: 0 }));
    expect(new Set(uis.map((u) => u.appId)).size).toBe(3);
  });

  it('statistics, batches and one batch with its inputs and output operations, in Spark’s shapes', async () => {
    const { clock, base } = await wordcountWithUi();
    await clock.advance(5000);
    const records = BATCHES.map((b) => b.length);
    const total = records.reduce((a, b) => a + b, 0);

    const stats = await getJson<Record<string, unknown>>(`${base}statistics`);
    expect(stats).toMatchObject({
      batchDuration: 1000,
      numReceivers: 0,
      numTotalCompletedBatches: 5,
      numRetainedCompletedBatches: 5,
      numActiveBatches: 0,
      numProcessedRecords: total,
      numReceivedRecords: total,
      avgInputRate: total / 5,
    });
    expect(stats.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}GMT$/);
    expect(typeof stats.avgProcessingTime).toBe('number');

    const batches = await getJson<SparkBatch[]>(`${base}batches`);
    expect(batches.map((b) => b.batchId)).toEqual([5000, 4000, 3000, 2000, 1000]); // newest first
    expect(batches.map((b) => b.inputSize)).toEqual(records.slice().reverse());
    expect(batches[0]).toMatchObject({ batchTime: '1970-01-01T00:00:05.000GMT', status: 'COMPLETED', numTotalOutputOps: 2, numCompletedOutputOps: 2 });
    expect(await getJson<SparkBatch[]>(`${base}batches?status=QUEUED`)).toEqual([]);

    const two = await getJson<Record<string, any>>(`${base}batches/2000`);
    expect(two.inputSize).toBe(2);
    expect(two.inputs).toEqual([{ streamId: 0, streamName: 'QueueInputDStream-0', numRecords: 2 }]);
    expect(two.outputOperations.map((o: { name: string }) => o.name)).toEqual(['foreachRDD', 'pprint']);
    expect(typeof two.checkpointWriteTime).toBe('number');
    const ops = await getJson<Array<{ outputOpId: number; duration: number }>>(`${base}batches/2000/operations`);
    expect(ops).toHaveLength(2);
    expect(ops.every((o) => typeof o.duration === 'number')).toBe(true);

    const missing = await fetch(`${base}batches/1234`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('no batch 1234');
    expect((await fetch(`${base.replace(/local-\d+/, 'local-1')}statistics`)).status).toBe(404);
  });

  it('answers one application by its id, as Spark does; another id is a 404', async () => {
    const { ssc } = await wordcountWithUi();
    const [app] = await getJson<Array<{ id: string; name: string }>>(`${ssc.uiWebUrl}api/v1/applications`);
    const one = await getJson<{ id: string; name: string; attempts: Array<{ completed: boolean }> }>(`${ssc.uiWebUrl}api/v1/applications/${app!.id}`);
    expect(one).toMatchObject({ id: app!.id, name: 'ui-wordcount', attempts: [{ completed: false }] });
    expect((await fetch(`${ssc.uiWebUrl}api/v1/applications/${app!.id}/`)).status).toBe(200);
    const other = await fetch(`${ssc.uiWebUrl}api/v1/applications/local-1`);
    expect(other.status).toBe(404);
    expect(await other.text()).toContain('no such application: local-1');
  });

  it('an application id with a malformed percent-encoding is an unknown application: 404, not 500', async () => {
    const { ssc, base } = await wordcountWithUi();
    const appId = /applications\/([^/]+)\//.exec(base)![1]!;
    const r = await fetch(`${ssc.uiWebUrl}api/v1/applications/%E0%A4%A/streaming/statistics`);
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: `no such application: %E0%A4%A; this one is ${appId}` });
    expect((await fetch(`${base}statistics`)).status).toBe(200); // the server still answers
  });

  it('the DStream graph marks the stateful stream with its number of keys', async () => {
    const { clock, base } = await wordcountWithUi();
    await clock.advance(5000);
    const graph = await getJson<{ nodes: Array<{ id: number; kind: string; role: string; stateful: boolean; stateKeys?: number; dependencies: number[] }> }>(`${base}graph`);
    const distinct = new Set(BATCHES.flat().flatMap((l) => l.split(' '))).size;
    const state = graph.nodes.filter((n) => n.stateful);
    expect(state).toHaveLength(1);
    expect(state[0]).toMatchObject({ kind: 'StateDStream', stateKeys: distinct });
    expect(graph.nodes[0]).toMatchObject({ id: 0, role: 'input', dependencies: [] });
    expect(graph.nodes.filter((n) => n.role === 'output')).toHaveLength(2);
  });

  it('/metrics: batches, records, delay histograms, state keys and checkpoint write time in Prometheus text', async () => {
    const { ssc, clock } = await wordcountWithUi();
    await clock.advance(5000);
    const r = await fetch(`${ssc.uiWebUrl}metrics`);
    expect(r.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await r.text();
    const m = parseMetrics(text);
    const app = 'app="ui-wordcount"';
    const total = BATCHES.flat().length;
    expect(m.get(`dstreams_batches_total{${app},status="completed"}`)).toBe(5);
    expect(m.get(`dstreams_batches_total{${app},status="failed"}`)).toBe(0);
    expect(m.get(`dstreams_records_total{${app}}`)).toBe(total);
    expect(m.get(`dstreams_input_records_total{${app},stream="0",kind="QueueInputDStream"}`)).toBe(total);
    expect(m.get(`dstreams_batch_processing_seconds_count{${app}}`)).toBe(5);
    expect(m.get(`dstreams_batch_total_delay_seconds_bucket{${app},le="+Inf"}`)).toBe(5);
    expect(m.get(`dstreams_checkpoint_write_seconds_count{${app}}`)).toBe(5);
    const distinct = new Set(BATCHES.flat().flatMap((l) => l.split(' '))).size;
    expect([...m].find(([k]) => k.startsWith('dstreams_state_keys{'))?.[1]).toBe(distinct);
    expect(text).toContain('# TYPE dstreams_batch_scheduling_delay_seconds histogram');
  });

  it('memory figures: heap, state keys in memory and on disk, each batch’s input records and bytes — in the JSON and /metrics', async () => {
    const folder = tempDir();
    const lines = ['to be or not to be', 'that is the question', 'whether tis nobler'];
    for (let f = 0; f < 3; f++) {
      const file = path.join(folder, `f${f}.txt`);
      writeFileSync(file, lines.join('\n') + '\n');
      const old = new Date(Date.now() - 3 * 3600_000 + f * 1000); // there at start: read as backlog
      utimesSync(file, old, old);
    }
    const clock = new ManualClock();
    const port = await freePortBelow();
    const ssc = new StreamingContext({ batchDuration: 1000, clock, appName: 'ui-memory', ui: { port } });
    ssc.checkpoint(tempDir());
    cleanups.push(() => ssc.stop());
    const words = ssc
      .textFileStream(folder, { newFilesOnly: false, maxFilesPerBatch: 1 })
      .flatMap((l) => l.split(' '))
      .map((w): [string, number] => [w, 1]);
    words.updateStateByKey((vs: number[], s: number | undefined) => vs.length + (s ?? 0), { stateStore: 'disk', name: 'onDisk' }).foreachRDD(() => undefined);
    words.updateStateByKey((vs: number[], s: number | undefined) => vs.length + (s ?? 0), { name: 'inMemory' }).foreachRDD(() => undefined);
    await ssc.start();
    await clock.advance(3000);
    const apps = await getJson<Array<{ id: string }>>(`${ssc.uiWebUrl}api/v1/applications`);
    const base = `${ssc.uiWebUrl}api/v1/applications/${apps[0]!.id}/streaming/`;
    const distinct = new Set(lines.flatMap((l) => l.split(' '))).size;
    const bytes = Buffer.byteLength(lines.join('\n') + '\n');

    type Memory = { heapUsed: number; stateKeysInMemory: number; stateKeysOnDisk: number };
    const stats = await getJson<{ memory: Memory }>(`${base}statistics`);
    expect(stats.memory.heapUsed).toBeGreaterThan(0);
    expect(stats.memory.stateKeysOnDisk).toBe(distinct);
    expect(stats.memory.stateKeysInMemory).toBeGreaterThanOrEqual(distinct); // the memory store's keys, plus the disk store's unsettled changes
    const list = await getJson<Array<{ batchId: number; inputSize: number; inputBytes: number; memory: Memory }>>(`${base}batches`);
    expect(list.map((b) => [b.batchId, b.inputSize, b.inputBytes])).toEqual([
      [3000, lines.length, bytes],
      [2000, lines.length, bytes],
      [1000, lines.length, bytes],
    ]);
    expect(list[0]!.memory).toEqual(stats.memory);
    const one = await getJson<{ inputBytes: number; memory: Memory }>(`${base}batches/2000`);
    expect(one.inputBytes).toBe(bytes);
    expect(one.memory.stateKeysOnDisk).toBe(distinct);

    const m = parseMetrics(await (await fetch(`${ssc.uiWebUrl}metrics`)).text());
    const app = 'app="ui-memory"';
    expect(m.get(`dstreams_heap_used_bytes{${app}}`)).toBeGreaterThan(0);
    expect(m.get(`dstreams_state_keys_where{${app},where="disk"}`)).toBe(distinct);
    expect(m.get(`dstreams_state_keys_where{${app},where="memory"}`)).toBeGreaterThanOrEqual(distinct);
    expect(m.get(`dstreams_last_batch_records{${app}}`)).toBe(lines.length);
    expect(m.get(`dstreams_last_batch_bytes{${app}}`)).toBe(bytes);
  });

  it('keeps only the last retainedBatches completed batches (the totals still count them all)', async () => {
    const { clock, base } = await wordcountWithUi({ retainedBatches: 3 });
    await clock.advance(5000);
    const stats = await getJson<Record<string, number>>(`${base}statistics`);
    expect(stats.numTotalCompletedBatches).toBe(5);
    expect(stats.numRetainedCompletedBatches).toBe(3);
    expect(stats.avgInputRate).toBeCloseTo(2 / 3, 10); // the last three batches: 0 + 1 + 1 records in 3 s
    expect((await getJson<SparkBatch[]>(`${base}batches`)).map((b) => b.batchId)).toEqual([5000, 4000, 3000]);
    expect((await fetch(`${base}batches/1000`)).status).toBe(404);
  });

  it('sends every batch as a server-sent event while the page is open', async () => {
    const { clock, base } = await wordcountWithUi();
    const res = await fetch(`${base}events`);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    await clock.advance(2000);
    let text = '';
    while ((text.match(/"status": ?"COMPLETED"/g) ?? []).length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    const events = text.split('\n\n').filter((e) => e.startsWith('event: batch'));
    const batches = events.map((e) => JSON.parse(e.split('data: ')[1]!) as { batch: SparkBatch; statistics?: { numTotalCompletedBatches: number } });
    const statusesOf = (id: number): string[] => batches.filter((b) => b.batch.batchId === id).map((b) => b.batch.status);
    expect(statusesOf(1000)).toEqual(['QUEUED', 'PROCESSING', 'COMPLETED']);
    expect(statusesOf(2000)).toEqual(['QUEUED', 'PROCESSING', 'COMPLETED']);
    expect(batches.find((b) => b.batch.batchId === 1000 && b.batch.status === 'COMPLETED')!.statistics!.numTotalCompletedBatches).toBe(1);
  });

  it('a batch whose failure stops the context reaches an open event stream, with its reason, before the stream ends', async () => {
    const clock = new ManualClock();
    const port = await freePortBelow();
    const ssc = new StreamingContext({ batchDuration: 1000, clock, ui: { port } });
    ssc.queueStream([['a'], ['b']]).foreachRDD((rdd, time) => {
      if (time === 2000) throw new Error(`output <down> at ${rdd.count()}`);
    });
    cleanups.push(() => ssc.stop());
    await ssc.start();
    const apps = await getJson<Array<{ id: string }>>(`${ssc.uiWebUrl}api/v1/applications`);
    const res = await fetch(`${ssc.uiWebUrl}api/v1/applications/${apps[0]!.id}/streaming/events`);
    await clock.advance(2000).catch(() => undefined);
    await expect(ssc.awaitTermination()).rejects.toThrow(/output <down>/);
    // Before: the stop cut the connection, and the failed batch's events never left the server.
    const text = await res.text();
    const failed = text
      .split('\n\n')
      .filter((e) => e.startsWith('event: batch'))
      .map((e) => (JSON.parse(e.split('data: ')[1]!) as { batch: SparkBatch }).batch)
      .filter((b) => b.batchId === 2000);
    expect(failed.map((b) => b.status)).toEqual(['QUEUED', 'PROCESSING', 'COMPLETED']);
    expect(failed.at(-1)).toMatchObject({ numFailedOutputOps: 1, firstFailureReason: expect.stringMatching(/output <down> at 1/) });
    expect(text.trimEnd().endsWith('event: end\ndata: {}')).toBe(true);
  });

  it('answers other methods with 405 and Allow: GET, HEAD', async () => {
    const { base } = await wordcountWithUi();
    const res = await fetch(`${base}statistics`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(await res.json()).toMatchObject({ error: expect.stringMatching(/method POST not allowed/) });
  });

  it('closes with the context', async () => {
    const { ssc, base } = await wordcountWithUi();
    await ssc.stop();
    await expect(fetch(`${base}statistics`)).rejects.toThrow();
  });

  it('takes the next port when the one asked for is in use, as Spark does; bad options fail at construction', async () => {
    const port = await freePortBelow();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), ui: { port } });
    ssc.queueStream([[1]]).count().foreachRDD(() => undefined);
    cleanups.push(() => ssc.stop());
    await ssc.start();
    expect(ssc.uiWebUrl).toBe(`http://127.0.0.1:${port + 1}/`);
    expect(() => new StreamingContext({ batchDuration: 1000, ui: { port: -1 } })).toThrow(/ui port must be an integer/);
    // Before: a misspelt option was ignored (the UI came up on 4040), a bad host failed start() with host.includes is not a function.
    expect(() => new StreamingContext({ batchDuration: 1000, ui: { prot: 23998 } as never })).toThrow(/unknown ui option prot: ui takes port, host and retainedBatches/);
    expect(() => new StreamingContext({ batchDuration: 1000, ui: 'yes' as never })).toThrow(/ui must be true or an object/);
    expect(() => new StreamingContext({ batchDuration: 1000, ui: { host: 5 } as never })).toThrow(/ui host must be a non-empty string, got 5/);
    expect(new StreamingContext({ batchDuration: 1000 }).uiWebUrl).toBeUndefined();
  });
});

describe('web UI: receivers', () => {
  it('shows each receiver with its rate and its errors', async () => {
    class Ticker extends Receiver<string> {
      private timer: NodeJS.Timeout | undefined;
      onStart(): void {
        this.reportError('first connection failed', new Error('boom'));
        this.timer = setInterval(() => void this.store(['tick', 'tock']), 10);
      }
      onStop(): void {
        clearInterval(this.timer);
      }
    }
    const port = await freePortBelow();
    const ssc = new StreamingContext({ batchDuration: 200, ui: { port } });
    let withRecords = 0;
    ssc.receiverStream(new Ticker(), { name: 'ticker' }).count().foreachRDD((rdd) => {
      if (rdd.first() > 0) withRecords++;
    });
    cleanups.push(() => ssc.stop());
    await ssc.start();
    const deadline = Date.now() + 20_000;
    while (withRecords < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(withRecords).toBeGreaterThanOrEqual(3);
    const apps = await getJson<Array<{ id: string }>>(`${ssc.uiWebUrl}api/v1/applications`);
    const base = `${ssc.uiWebUrl}api/v1/applications/${apps[0]!.id}/streaming/`;
    const receivers = await getJson<Array<Record<string, any>>>(`${base}receivers`);
    expect(receivers).toHaveLength(1);
    expect(receivers[0]).toMatchObject({ streamId: 0, streamName: 'ticker', isActive: true, numErrors: 1, lastErrorMessage: 'first connection failed' });
    expect(receivers[0]!.lastError).toContain('boom');
    expect(receivers[0]!.avgEventRate).toBeGreaterThan(0);
    expect(receivers[0]!.eventRates.length).toBeGreaterThan(0);
    expect(await getJson(`${base}receivers/0`)).toMatchObject({ streamName: 'ticker' });
    const stats = await getJson<Record<string, number>>(`${base}statistics`);
    expect(stats).toMatchObject({ numReceivers: 1, numActiveReceivers: 1 });
    const metrics = await (await fetch(`${ssc.uiWebUrl}metrics`)).text();
    expect(metrics).toContain('dstreams_receiver_errors_total{app="dstreams",stream="0",name="ticker"} 1');
  });
});

describe('web UI: a direct Kafka stream', () => {
  it('shows each batch’s offset ranges, and the lag per partition in /metrics', async () => {
    const topic = uniqueTopic('ui-lag');
    await createTopic(topic, 2);
    await produceLines(topic, Array.from({ length: 100 }, (_, i) => `line ${i}`), { partitions: 2 });
    const clock = new ManualClock();
    const port = await freePortBelow();
    const ssc = new StreamingContext({ batchDuration: 1000, clock, appName: 'ui-kafka', ui: { port } });
    const stream = KafkaUtils.createDirectStream(ssc, [topic], {
      'bootstrap.servers': kafkaBrokers(),
      'auto.offset.reset': 'earliest',
      maxRatePerPartition: 10,
    });
    let seen = 0;
    stream.foreachRDD((rdd) => void (seen += rdd.count()));
    cleanups.push(() => ssc.stop());
    await ssc.start();
    await clock.advance(2000); // two batches of 10 records per partition
    expect(seen).toBe(40);
    const apps = await getJson<Array<{ id: string }>>(`${ssc.uiWebUrl}api/v1/applications`);
    const base = `${ssc.uiWebUrl}api/v1/applications/${apps[0]!.id}/streaming/`;
    const batch = await getJson<{ inputs: Array<{ numRecords: number; offsetRanges: unknown[] }> }>(`${base}batches/2000`);
    expect(batch.inputs[0]!.numRecords).toBe(20);
    expect(batch.inputs[0]!.offsetRanges).toEqual([
      { topic, partition: 0, fromOffset: 10, untilOffset: 20 },
      { topic, partition: 1, fromOffset: 10, untilOffset: 20 },
    ]);
    const m = parseMetrics(await (await fetch(`${ssc.uiWebUrl}metrics`)).text());
    expect(m.get(`dstreams_kafka_lag_records{app="ui-kafka",topic="${topic}",partition="0"}`)).toBe(30);
    expect(m.get(`dstreams_kafka_lag_records{app="ui-kafka",topic="${topic}",partition="1"}`)).toBe(30);
    expect(m.get(`dstreams_kafka_offset{app="ui-kafka",topic="${topic}",partition="1"}`)).toBe(20);
  });
});
