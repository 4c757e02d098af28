// Recovery with StreamingContext.getOrCreate: a direct stream killed with SIGKILL again and again
// counts every record exactly once in its state; a receiver stream with the write-ahead log
// killed after the receiver committed its offsets to Kafka, before the batch ran, loses nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext, type KafkaRDD, type OffsetRange, type PostgresSink } from '../../src/index.js';
import { resumeFromSink, type StartFromSink } from '../../src/exactlyonce/index.js';
import { addPartitions, createTopic, kafkaBrokers, kafkaClient, produceLines, topicEndOffsets, uniqueTopic } from '../helpers/kafka.js';
import { jobChild, type Child } from '../helpers/jobChild.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function child(script: string, args: string[]): Child {
  return jobChild(`test/kafka/${script}`, args, cleanups, { env: { KAFKAJS_NO_PARTITIONER_WARNING: '1' } });
}

const records = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('direct stream recovery (getOrCreate)', () => {
  it('killed with SIGKILL 6 times at random moments, every record is counted exactly once in the state', { timeout: 240_000 }, async () => {
    const topic = uniqueTopic('recovery');
    await createTopic(topic, 3);
    const dir = tempDir('kafka-direct-recovery-');
    const N = 30_000;
    await produceLines(topic, records('a', N / 2), { partitions: 3 });
    const kills = 6;
    const starts: string[] = [];
    let batchesSeen = 0;
    for (let k = 0; k < kills; k++) {
      const c = child('direct-recovery-child.ts', [kafkaBrokers(), topic, dir, String(N)]);
      await c.waitFor((o) => o.includes('STARTED'), 'the start');
      starts.push(c.lines().find((l) => l.startsWith('STARTED'))!);
      // Kill somewhere between a fraction of a batch and a few batches after the start; every
      // other run only once two batches printed (the first one's checkpoint is then committed:
      // batches run one at a time), so the kills also land mid-run on a busy machine, where the
      // first batch can take longer than the whole random wait.
      if (k % 2 === 1) await c.waitFor((o) => o.split('\n').filter((l) => l.startsWith('{')).length >= 2, 'two batches');
      await sleep((k % 2 === 1 ? 0 : 150) + Math.floor(Math.random() * 900));
      await c.kill();
      batchesSeen += c.lines().filter((l) => l.startsWith('{')).length;
      // More records arrive while the job is down.
      await produceLines(topic, records(`b${k}`, N / 2 / kills), { partitions: 3 });
    }
    const last = child('direct-recovery-child.ts', [kafkaBrokers(), topic, dir, String(N)]);
    await last.waitFor((o) => o.includes('DONE'), 'every record counted', 120_000);
    await last.exited;
    const final = JSON.parse(last.lines().filter((l) => l.startsWith('{')).at(-1)!) as { keys: number; total: number; max: number };
    expect(final).toMatchObject({ keys: N, total: N, max: 1 });
    // The runs after the first resumed from a checkpoint (once batches had completed).
    expect(starts[0]).toBe('STARTED fresh');
    expect(batchesSeen).toBeGreaterThan(0);
    expect(last.lines()[0]).toMatch(/^STARTED \d+$/);
  });
});

describe('direct stream, a first run that completed no batch', () => {
  it('getOrCreate starts where the first run started (auto.offset.reset latest): the records that came meanwhile are read once', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('first-run');
    await createTopic(topic, 2);
    await produceLines(topic, records('old', 50), { partitions: 2 });
    const dir = tempDir('kafka-first-run-');
    const run = async (clock: ManualClock, seen: string[]): Promise<StreamingContext> => {
      const ssc = await StreamingContext.getOrCreate(dir, () => {
        const c = new StreamingContext({ batchDuration: 1000, clock, appName: 'first-run' });
        const stream = KafkaUtils.createDirectStream(c, [topic], { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'latest' });
        stream.foreachRDD((rdd) => {
          seen.push(...rdd.collect().map(([, v]) => v));
        });
        return c;
      });
      cleanups.push(() => ssc.stop());
      return ssc;
    };

    // Run 1 starts at the latest offsets (after "old"), and ends before any batch: a crash then
    // leaves the store as this stop does, with no batch record.
    const clock1 = new ManualClock();
    const ssc1 = await run(clock1, []);
    await ssc1.start();
    const during = records('during', 60);
    await produceLines(topic, during, { partitions: 2 });
    await ssc1.stop();

    // Run 2, after more records: its first batch reads from where run 1 started.
    const after = records('after', 40);
    await produceLines(topic, after, { partitions: 2 });
    const clock2 = new ManualClock();
    const seen: string[] = [];
    const ssc2 = await run(clock2, seen);
    expect(ssc2.recoveredFrom).toBeUndefined();
    await ssc2.start();
    await clock2.advance(1000);
    expect(seen.sort()).toEqual([...during, ...after].sort());
    await ssc2.stop();
  });
});

describe('direct stream recovery with topics added to the stream', () => {
  it('a topic the checkpoint never saw starts by fromOffsets, else the group\'s committed offsets, else auto.offset.reset; a partition added to a recorded topic from its first offset', { timeout: 90_000 }, async () => {
    const [a, b, c] = [uniqueTopic('known'), uniqueTopic('added-from'), uniqueTopic('added-group')];
    await createTopic(a, 1);
    await createTopic(b, 2);
    await createTopic(c, 1);
    await produceLines(a, records('a', 4), { partition: 0 });
    await produceLines(b, records('b0', 10), { partition: 0 });
    await produceLines(b, records('b1', 4), { partition: 1 });
    await produceLines(c, records('c', 6), { partition: 0 });
    const groupId = uniqueTopic('group');
    const dir = tempDir('kafka-added-topic-');
    const ranges = new Map<string, [number, number]>();
    const build = (clock: ManualClock, topics: string[], params: Record<string, string>, fromOffsets?: Record<string, number>): StreamingContext => {
      const ssc = new StreamingContext({ batchDuration: 1000, clock, appName: 'added-topic' });
      ssc.checkpoint(dir);
      const stream = KafkaUtils.createDirectStream(ssc, topics, { 'metadata.broker.list': kafkaBrokers(), 'group.id': groupId, ...params }, fromOffsets);
      stream.foreachRDD((rdd) => {
        for (const r of (rdd as KafkaRDD).offsetRanges()) ranges.set(`${r.topic}:${r.partition}`, [r.fromOffset, r.untilOffset]);
      });
      return ssc;
    };

    // Run 1 reads topic a only, and completes a batch (its checkpoint knows a:0 at 4).
    const clock1 = new ManualClock();
    const ssc1 = build(clock1, [a], { 'auto.offset.reset': 'earliest' });
    cleanups.push(() => ssc1.stop());
    await ssc1.start();
    await clock1.advance(1000);
    await ssc1.stop();
    expect(ranges.get(`${a}:0`)).toEqual([0, 4]);

    // While it is down: a gets a partition (with records), the group commits c:0 at 2.
    await addPartitions(a, 2);
    await produceLines(a, records('a1', 2), { partition: 1 });
    const admin = kafkaClient().admin();
    await admin.connect();
    try {
      await admin.setOffsets({ groupId, topic: c, partitions: [{ partition: 0, offset: '2' }] });
    } finally {
      await admin.disconnect();
    }

    // Run 2 reads a, b and c, auto.offset.reset latest, fromOffsets b:0 → 7.
    ranges.clear();
    const clock2 = new ManualClock(1000);
    const ssc2 = await StreamingContext.getOrCreate(dir, () => build(clock2, [a, b, c], { 'auto.offset.reset': 'latest' }, { [`${b}:0`]: 7 }));
    cleanups.push(() => ssc2.stop());
    expect(ssc2.recoveredFrom).toBe(1000);
    await ssc2.start();
    await clock2.advance(1000);
    expect(Object.fromEntries(ranges)).toEqual({
      [`${a}:0`]: [4, 4], // the checkpoint's position
      [`${a}:1`]: [0, 2], // added to a recorded topic: from its first offset
      [`${b}:0`]: [7, 10], // fromOffsets
      [`${b}:1`]: [4, 4], // auto.offset.reset latest
      [`${c}:0`]: [2, 6], // the group's committed offset
    });
    await ssc2.stop();
  });
});

describe('resumeFromSink after a first run that completed no batch', () => {
  // A stand-in for the PostgresSink with the members resumeFromSink reads (no table damage).
  const sinkHolding = (offsets: Record<string, number>, lastCommitted?: number): PostgresSink<any> =>
    ({
      lastCommittedBatchTime: async () => lastCommitted,
      storedOffsets: async () => offsets,
      tableDamage: undefined,
    }) as unknown as PostgresSink<any>;

  async function firstRunThenResume(sinkAfter: (topic: string) => PostgresSink<any>): Promise<{ during: string[]; seen: string[]; starts: StartFromSink[]; source: string }> {
    const topic = uniqueTopic('resume-first-run');
    await createTopic(topic, 1);
    await produceLines(topic, records('old', 5), { partition: 0 });
    const dir = tempDir('kafka-resume-first-run-');
    const starts: StartFromSink[] = [];
    const build = (clock: ManualClock, seen: string[]) => (start: StartFromSink): StreamingContext => {
      starts.push(start);
      const c = new StreamingContext({ batchDuration: 1000, clock, appName: 'resume-first-run' });
      c.checkpoint(dir);
      const stream = KafkaUtils.createDirectStream(c, [topic], { 'metadata.broker.list': kafkaBrokers() }, start.fromOffsets); // latest
      stream.foreachRDD((rdd) => {
        seen.push(...rdd.collect().map(([, v]) => v));
      });
      return c;
    };
    // Run 1 starts at the latest offset (5), records come, it ends before its first batch completed.
    const run1 = await resumeFromSink({ checkpointDir: dir, sink: sinkHolding({}), topics: [topic], create: build(new ManualClock(), []) });
    cleanups.push(() => run1.ssc.stop());
    await run1.ssc.start();
    const during = records('during', 6);
    await produceLines(topic, during, { partition: 0 });
    await run1.ssc.stop();

    // Run 2 through resumeFromSink, with `sink` as it is then.
    const clock = new ManualClock();
    const seen: string[] = [];
    const run2 = await resumeFromSink({ checkpointDir: dir, sink: sinkAfter(topic), topics: [topic], create: build(clock, seen) });
    cleanups.push(() => run2.ssc.stop());
    expect(run2.ssc.recoveredFrom).toBeUndefined();
    await run2.ssc.start();
    await clock.advance(1000);
    await run2.ssc.stop();
    return { during, seen, starts, source: run2.source };
  }

  it('a sink that holds no offsets: the job starts where the first run started (the start record), not at auto.offset.reset latest', { timeout: 60_000 }, async () => {
    const { during, seen, starts, source } = await firstRunThenResume(() => sinkHolding({}));
    expect(source).toBe('sink');
    expect(seen).toEqual(during);
    // Built from the sink (its table read as the state), with no offsets of its own.
    expect(starts.at(-1)).toMatchObject({ fromOffsets: undefined, fromCheckpoint: false });
  });

  it('a sink that committed the first batch (the crash came before the checkpoint did): its offsets win over the start record', { timeout: 60_000 }, async () => {
    // The sink committed offsets [5, 8): the job goes on from 8.
    const { during, seen, source } = await firstRunThenResume((topic) => sinkHolding({ [`${topic}:0`]: 8 }, 1000));
    expect(source).toBe('sink');
    expect(seen).toEqual(during.slice(3));
  });
});

describe('direct stream checkpoint contents', () => {
  it('carries the position after the batch and the ranges of the batches generated but not completed; a restored stream re-reads exactly those', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('pending');
    await createTopic(topic, 2);
    await produceLines(topic, records('p', 100), { partitions: 2 });
    const params = { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'earliest', maxRatePerPartition: 10 };

    // Run 1: advance(3000) generates batches 1000, 2000 and 3000 at once; batch 1000's output
    // takes the checkpoint delta while 2000 and 3000 are pending.
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const stream = KafkaUtils.createDirectStream(ssc, [topic], params);
    const ranges = new Map<number, OffsetRange[]>();
    let delta: unknown;
    stream.foreachRDD(async (rdd, time) => {
      ranges.set(time, (rdd as KafkaRDD).offsetRanges());
      if (time === 1000) {
        // The ranges of 2000 and 3000 are decided meanwhile (Kafka's answers; slow on a busy
        // machine): wait until both are, rather than a fixed time.
        const decided = (): number => (stream.checkpointDelta(1000, false).meta as { pending: unknown[] }).pending.length;
        const deadline = Date.now() + 30_000;
        while (decided() < 2 && Date.now() < deadline) await sleep(20);
        delta = stream.checkpointDelta(1000, false).meta;
      }
    });
    await ssc.start();
    await clock.advance(3000);
    await ssc.stop();
    const r = (from: number, until: number): Array<[number, number]> => [
      [from, until],
      [from, until],
    ];
    const pairs = (t: number): Array<[number, number]> => ranges.get(t)!.map((x) => [x.fromOffset, x.untilOffset]);
    expect(pairs(1000)).toEqual(r(0, 10));
    expect(pairs(2000)).toEqual(r(10, 20));
    expect(pairs(3000)).toEqual(r(20, 30));
    expect(delta).toEqual({
      v: 1,
      topics: [topic],
      position: { [`${topic}:0`]: 10, [`${topic}:1`]: 10 },
      pending: [
        [2000, ranges.get(2000)],
        [3000, ranges.get(3000)],
      ],
    });

    // Run 2, restored from that checkpoint, without a rate limit and with more records in
    // Kafka: batches 2000 and 3000 read exactly their recorded ranges; 4000 goes on from there.
    await produceLines(topic, records('q', 100), { partitions: 2 });
    const clock2 = new ManualClock(1000);
    const ssc2 = new StreamingContext({ batchDuration: 1000, clock: clock2 });
    cleanups.push(() => ssc2.stop());
    const stream2 = KafkaUtils.createDirectStream(ssc2, [topic], { 'metadata.broker.list': kafkaBrokers() });
    const ranges2 = new Map<number, Array<[number, number]>>();
    const values2 = new Map<number, string[]>();
    stream2.foreachRDD((rdd, time) => {
      ranges2.set(time, (rdd as KafkaRDD).offsetRanges().map((x) => [x.fromOffset, x.untilOffset]));
      values2.set(time, rdd.collect().map(([, v]) => v));
    });
    stream2.restoreCheckpoint({ time: 1000, state: [], slices: [], meta: delta });
    await ssc2.start();
    await clock2.advance(3000);
    expect(ranges2.get(2000)).toEqual(r(10, 20));
    expect(ranges2.get(3000)).toEqual(r(20, 30));
    expect(ranges2.get(4000)).toEqual(r(30, 100));
    // Partition 0 holds p-0, p-2, …: offsets 10..19 are p-20 … p-38.
    expect(values2.get(2000)!.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `p-${20 + 2 * i}`));
  });
});

describe('receiver stream recovery (getOrCreate, write-ahead log)', () => {
  it('killed after the receiver committed the offsets to Kafka, before the batch ran: the records come back from the log', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('recv-recovery');
    const groupId = uniqueTopic('recv-recovery-group');
    await createTopic(topic, 2);
    const dir = tempDir('kafka-recv-recovery-');
    const committedAt = (out: string, p: number): number =>
      Math.max(-1, ...[...out.matchAll(new RegExp(`^COMMITTED ${p} (\\d+)$`, 'gm'))].map((m) => Number(m[1])));

    // Run 1: A is received, committed and processed by batch 1000 (checkpointed); then B is
    // received, written to the log and committed to Kafka — and the process is killed.
    const a = records('A', 300);
    const b = records('B', 200);
    await produceLines(topic, a, { partitions: 2 });
    const c1 = child('receiver-recovery-child.ts', [kafkaBrokers(), topic, groupId, dir, '0']);
    await c1.waitFor((o) => committedAt(o, 0) >= 150 && committedAt(o, 1) >= 150, 'A committed');
    c1.send('advance');
    await c1.waitFor((o) => o.includes('ADVANCED 1000'), 'batch 1000');
    const batch1 = JSON.parse(/^BATCH 1000 (.*)$/m.exec(c1.out())![1]!) as string[];
    expect(batch1.sort()).toEqual([...a].sort());
    await produceLines(topic, b, { partitions: 2 });
    await c1.waitFor((o) => committedAt(o, 0) >= 250 && committedAt(o, 1) >= 250, 'B committed');
    await c1.kill();

    // Kafka has B's offsets as committed: a consumer of the group would not read B again.
    const admin = kafkaClient().admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    expect(Object.fromEntries(offsets[0]!.partitions.map((p) => [p.partition, Number(p.offset)]))).toEqual(await topicEndOffsets(topic));

    // Run 2: recovered; batch 2000 holds B, replayed from the write-ahead log.
    const c2 = child('receiver-recovery-child.ts', [kafkaBrokers(), topic, groupId, dir, '1000']);
    await c2.waitFor((o) => o.includes('STARTED'), 'the restart');
    expect(c2.out()).toContain('STARTED 1000');
    c2.send('advance');
    await c2.waitFor((o) => o.includes('ADVANCED 2000'), 'batch 2000');
    const batch2 = JSON.parse(/^BATCH 2000 (.*)$/m.exec(c2.out())![1]!) as string[];
    expect(batch2.sort()).toEqual([...b].sort());
    await c2.kill();
  });
});
