/**
 * The restart decision of src/exactlyonce/exactlyOnce.ts against the real PostgreSQL (the "direct
 * stream" is a queueStream of RDDs that carry offset ranges, as a direct stream's do), and
 * directStreamFromSink against the real Kafka broker.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { KafkaRDD, ManualClock, PostgresSink, RDD, StreamingContext, type OffsetRange } from '../../src/index.js';
import { directStreamFromSink } from '../../src/exactlyonce/directFromSink.js';
import { OffsetTracker, resumeFromSink, storedFromOffsets, type StartFromSink } from '../../src/exactlyonce/exactlyOnce.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { sinkConnection, useScratchSchema } from '../helpers/postgres.js';

const scratch = useScratchSchema('dstreams_exactly_once');
const sinks: PostgresSink<any>[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function makeSink(): Promise<PostgresSink<[string, number]>> {
  const sink = new PostgresSink<[string, number]>({
    ...(await sinkConnection()),
    table: scratch().table(scratch().unique('counts')),
    columns: ['k', 'n'],
    createTable: { k: 'text', n: 'bigint' },
    keyColumns: ['k'],
    mode: 'update',
    offsetCheck: 'contiguous',
    sinkId: scratch().unique('eo'),
  });
  sinks.push(sink);
  return sink;
}

/** Batch i reads offsets [10 i, 10 i + 10) of t:0 and counts one "a". */
function kafkaLikeBatch(i: number): RDD<string> {
  const ranges: OffsetRange[] = [{ topic: 't', partition: 0, fromOffset: 10 * i, untilOffset: 10 * i + 10 }];
  return Object.assign(RDD.fromArray(['a']), { offsetRanges: () => ranges });
}

/** A job: each batch's count of "a" is added to the sink's running total, with the batch's offsets. */
function job(sink: PostgresSink<[string, number]>, dir: string, clock: ManualClock, seen: StartFromSink[], firstBatch = 0) {
  return (start: StartFromSink): StreamingContext => {
    seen.push(start);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc.checkpoint(dir);
    const tracker = new OffsetTracker();
    const input = tracker.track(ssc.queueStream(Array.from({ length: 10 }, (_, i) => kafkaLikeBatch(firstBatch + i))));
    let total = 0;
    input.foreachRDD(async (rdd, time) => {
      total += rdd.count();
      await sink.writeBatch({ batchTime: time, offsetRanges: tracker.rangesAt(time) }, [['a', total]]);
      tracker.forget(time);
    });
    return ssc;
  };
}

describe('resumeFromSink', () => {
  it('fresh: starts from the sink (offsets none, then stored); in step: resumes from the checkpoint; behind: sets it aside', async () => {
    const sink = await makeSink();
    const dir = mkdtempSync(join(tmpdir(), 'dstreams-eo-'));
    dirs.push(dir);
    const seen: StartFromSink[] = [];

    // 1. Nothing anywhere.
    const clock1 = new ManualClock(0);
    const r1 = await resumeFromSink({ checkpointDir: dir, sink, topics: ['t'], create: job(sink, dir, clock1, seen) });
    expect(r1).toMatchObject({ source: 'sink', recoveredFrom: undefined, lastCommitted: undefined, fromOffsets: undefined });
    await r1.ssc.start();
    await clock1.advance(3000);
    await r1.ssc.stop();
    expect(await sink.lastCommittedBatchTime()).toBe(3000);
    expect(await sink.storedOffsets()).toEqual({ 't:0': 30 });

    // 2. The checkpoint completed batch 3000, the sink committed 3000: in step.
    const r2 = await resumeFromSink({ checkpointDir: dir, sink, topics: ['t'], create: job(sink, dir, new ManualClock(3000), seen, 3) });
    expect(r2).toMatchObject({ source: 'checkpoint', recoveredFrom: 3000, lastCommitted: 3000, fromOffsets: { 't:0': 30 } });
    await r2.ssc.stop();

    // 3. The sink has a batch the checkpoint has not (a crash between the sink's commit and the checkpoint's).
    await sink.writeBatch({ batchTime: 4000, offsetRanges: [{ topic: 't', partition: 0, fromOffset: 30, untilOffset: 40 }] }, [['a', 4]]);
    const logs: string[] = [];
    const clock3 = new ManualClock(10_000);
    const r3 = await resumeFromSink({
      checkpointDir: dir,
      sink,
      topics: ['t'],
      create: job(sink, dir, clock3, seen, 4),
      log: (m) => logs.push(m),
    });
    expect(r3).toMatchObject({ source: 'sink', recoveredFrom: 3000, lastCommitted: 4000, fromOffsets: { 't:0': 40 }, staleCheckpoint: `${dir}.stale` });
    dirs.push(`${dir}.stale`);
    expect(existsSync(`${dir}.stale`)).toBe(true);
    expect(logs.join('\n')).toMatch(/behind the sink/);
    expect(r3.ssc.recoveredFrom).toBeUndefined();
    expect(r3.ssc.checkpointDir).toBe(dir);
    // The fresh context starts on a new grid (after 10 000) from offset 40: the contiguity check passes.
    await r3.ssc.start();
    await clock3.advance(2000);
    await r3.ssc.stop();
    expect(await sink.storedOffsets()).toEqual({ 't:0': 60 });
    expect(await sink.lastCommittedBatchTime()).toBe(12_000);
    expect(seen.map((s) => s.fromOffsets)).toEqual([undefined, { 't:0': 30 }, { 't:0': 40 }, { 't:0': 40 }]);
  });

  it('sinkWritesEveryBatch: a checkpoint ahead of the sink (tables emptied) is set aside too', async () => {
    const sink = await makeSink();
    const dir = mkdtempSync(join(tmpdir(), 'dstreams-eo-'));
    dirs.push(dir, `${dir}.stale`);
    const clock = new ManualClock(0);
    const r1 = await resumeFromSink({ checkpointDir: dir, sink, topics: ['t'], create: job(sink, dir, clock, []) });
    await r1.ssc.start();
    await clock.advance(2000);
    await r1.ssc.stop();
    // The same checkpoint, a sink that has nothing (its tables were emptied, or a new sink id).
    const empty = await makeSink();
    const lenient = await resumeFromSink({ checkpointDir: dir, sink: empty, topics: ['t'], create: job(empty, dir, new ManualClock(2000), [], 2) });
    expect(lenient.source).toBe('checkpoint');
    await lenient.ssc.stop();
    const logs: string[] = [];
    const strict = await resumeFromSink({
      checkpointDir: dir,
      sink: empty,
      topics: ['t'],
      sinkWritesEveryBatch: true,
      create: job(empty, dir, new ManualClock(5000), []),
      log: (m) => logs.push(m),
    });
    expect(strict).toMatchObject({ source: 'sink', recoveredFrom: 2000, lastCommitted: undefined, fromOffsets: undefined });
    expect(logs.join('\n')).toMatch(/is ahead of the sink \(last committed none\)/);
    await strict.ssc.stop();
  });

  it('a sink that committed batches without offsets cannot be started from: resumeFromSink says how to pass them (a checkpoint in step still resumes)', async () => {
    const sink = await makeSink();
    const dir = mkdtempSync(join(tmpdir(), 'dstreams-eo-'));
    dirs.push(dir);
    // A writer on a derived stream, given no offsetRanges: the batches commit, their offsets are not stored.
    const withoutOffsets = (clock: ManualClock) => (): StreamingContext => {
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      ssc.checkpoint(dir);
      ssc.queueStream(Array.from({ length: 5 }, (_, i) => kafkaLikeBatch(i)))
        .map((w): [string, number] => [w, 1])
        .foreachRDD(sink.writer());
      return ssc;
    };
    const clock = new ManualClock(0);
    const r1 = await resumeFromSink({ checkpointDir: dir, sink, topics: ['t'], create: withoutOffsets(clock) });
    await r1.ssc.start();
    await clock.advance(2000);
    await r1.ssc.stop();
    expect(await sink.lastCommittedBatchTime()).toBe(2000);
    expect(await sink.storedOffsets()).toEqual({});
    // The checkpoint is in step with the sink: it holds the positions, so the job resumes.
    const inStep = await resumeFromSink({ checkpointDir: dir, sink, topics: ['t'], create: withoutOffsets(new ManualClock(2000)) });
    expect(inStep.source).toBe('checkpoint');
    await inStep.ssc.stop();
    // Without the checkpoint, the sink would have to say where the input goes on: it cannot.
    rmSync(dir, { recursive: true, force: true });
    await expect(resumeFromSink({ checkpointDir: dir, sink, topics: ['t'], create: withoutOffsets(new ManualClock(5000)) })).rejects.toThrow(
      /committed batches \(the last at 2000\) but holds no offsets for topics t: .*offsetRanges.*OffsetTracker/,
    );
  });

  it('a scaled-out job (applicationId) is refused, naming writeFenced: its copies resume from their group, not from the sink', async () => {
    const sink = await makeSink();
    const dir = mkdtempSync(join(tmpdir(), 'dstreams-eo-'));
    dirs.push(dir);
    const scaledOut = (): StreamingContext => {
      const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0), applicationId: 'eo-scaled-out' });
      ssc.checkpoint(dir);
      ssc.queueStream([kafkaLikeBatch(0)]).foreachRDD(sink.writer());
      return ssc;
    };
    await expect(resumeFromSink({ checkpointDir: dir, sink, topics: ['t'], create: scaledOut })).rejects.toThrow(
      /resumeFromSink is for a job of one process, and this one is scaled out \(applicationId 'eo-scaled-out'\).*writeFenced/,
    );
  });

  it('storedFromOffsets keeps the asked topics only (topic names may contain ":")', async () => {
    const sink = await makeSink();
    expect(await storedFromOffsets(sink, ['t'])).toBeUndefined();
    await sink.writeBatch(
      {
        batchTime: 1,
        offsetRanges: [
          { topic: 't', partition: 0, untilOffset: 5 },
          { topic: 't', partition: 1, untilOffset: 7 },
          { topic: 'a:b', partition: 2, untilOffset: 9 },
          { topic: 'other', partition: 0, untilOffset: 1 },
        ],
      },
      [],
    );
    expect(await storedFromOffsets(sink, ['t', 'a:b'])).toEqual({ 't:0': 5, 't:1': 7, 'a:b:2': 9 });
  });

  it('OffsetTracker: a stream without offset ranges is an error that says what to track', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const tracker = new OffsetTracker();
    const errors: unknown[] = [];
    tracker.track(ssc.queueStream([[1]])).foreachRDD(() => undefined);
    ssc.addStreamingListener({ onBatchCompleted: (i) => void errors.push((i as { failureReason?: unknown }).failureReason) });
    await ssc.start();
    await clock.advance(1000).catch((e) => errors.push(e));
    await ssc.awaitTermination().catch((e) => errors.push(e));
    await ssc.stop();
    expect(String(errors.find((e) => e !== undefined))).toMatch(/no offsetRanges\(\)/);
    expect(() => tracker.rangesAt(1000)).toThrow(/no offset ranges recorded for batch 1000/);
  });

  it('directStreamFromSink: a direct stream (real Kafka) that starts at the offsets the sink stored', async () => {
    const topic = uniqueTopic('from-sink');
    await createTopic(topic, 2);
    await produceLines(topic, Array.from({ length: 20 }, (_, i) => `line ${i}`), { partitions: 2 });
    const sink = await makeSink();
    await sink.writeBatch({ batchTime: 1, offsetRanges: [{ topic, partition: 0, fromOffset: 0, untilOffset: 4 }] }, []);
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const stream = await directStreamFromSink(ssc, sink, [topic], { 'bootstrap.servers': kafkaBrokers(), 'auto.offset.reset': 'earliest' });
    const seen: Array<{ ranges: OffsetRange[]; values: string[] }> = [];
    stream.foreachRDD((rdd) => void seen.push({ ranges: (rdd as KafkaRDD).offsetRanges(), values: rdd.collect().map(([, v]) => v) }));
    await ssc.start();
    await clock.advance(1000);
    await ssc.stop();
    // Partition 0 from the stored offset 4; partition 1, which the sink has not seen, from the earliest.
    expect(seen[0]!.ranges).toEqual([
      { topic, partition: 0, fromOffset: 4, untilOffset: 10 },
      { topic, partition: 1, fromOffset: 0, untilOffset: 10 },
    ]);
    expect(seen[0]!.values).toEqual([8, 10, 12, 14, 16, 18, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19].map((i) => `line ${i}`));
  });
});
