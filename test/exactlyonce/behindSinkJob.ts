// The job of resume-behind-sink.test.ts (run in a child by behind-sink-child.ts, or built in the
// test's own process): a direct Kafka stream counted per value into running totals
// (updateStateByKey, seeded from the table when it starts from the sink) and into a 60 s window
// with an inverse function (which no table can give back), both written with the batch's offsets
// in one transaction every `writeEvery` batches.
import {
  KafkaUtils,
  OffsetTracker,
  PostgresSink,
  PostgresTables,
  StreamingContext,
  type WriteTablesResult,
} from '../../src/index.js';
import type { PoolConfig } from 'pg';
import { resumeFromSink, type Resumed } from '../../src/exactlyonce/index.js';

export interface BehindSinkJob {
  brokers: string;
  topic: string;
  checkpointDir: string;
  connection: PoolConfig;
  schema: string;
  tot: string;
  win: string;
  sinkId: string;
  /** 1: every batch (sinkWritesEveryBatch); n: batches whose time is a multiple of n batches. */
  writeEvery: number;
}

export const BATCH_MS = 250;
export const WINDOW_MS = 60_000;

type Row = { k: string; n: number };
type Sinks = { tot: PostgresSink<Row>; win: PostgresSink<Row> };

export function sinksOf(job: BehindSinkJob): Sinks {
  const sink = (table: string, sinkId: string): PostgresSink<Row> =>
    new PostgresSink<Row>({
      connection: job.connection,
      table: { schema: job.schema, name: table },
      columns: ['k', 'n'],
      keyColumns: ['k'],
      mode: 'update',
      createTable: { k: 'text', n: 'bigint' },
      sinkId,
      // Written every n batches, a batch's ranges start after the unwritten batches' ones.
      offsetCheck: job.writeEvery === 1 ? 'contiguous' : 'no-overlap',
    });
  return { tot: sink(job.tot, job.sinkId), win: sink(job.win, `${job.sinkId}_win`) };
}

/** resumeFromSink for the job; `onWritten` sees each batch's write. */
export function resumeJob(
  job: BehindSinkJob,
  sinks: Sinks,
  hooks: { log?: (m: string) => void; warn?: (m: string) => void; onWritten?: (r: WriteTablesResult<Sinks>, time: number) => void } = {},
): Promise<Resumed> {
  const tables = new PostgresTables(sinks);
  return resumeFromSink({
    checkpointDir: job.checkpointDir,
    sink: sinks.tot,
    topics: [job.topic],
    sinkWritesEveryBatch: job.writeEvery === 1,
    ...(hooks.log ? { log: hooks.log } : {}),
    ...(hooks.warn ? { warn: hooks.warn } : {}),
    create: async ({ fromOffsets, fromCheckpoint }) => {
      const ssc = new StreamingContext({ batchDuration: BATCH_MS, appName: 'behind-sink' });
      ssc.checkpoint(job.checkpointDir);
      const tracker = new OffsetTracker();
      const records = tracker.track(
        KafkaUtils.createDirectStream(
          ssc,
          [job.topic],
          // About 75 records per partition per batch: the topic takes several batches.
          { 'bootstrap.servers': job.brokers, 'auto.offset.reset': 'earliest', maxRatePerPartition: 300 },
          fromOffsets,
        ),
      );
      const pairs = records.map(([, v]): [string, number] => [v, 1]);
      const initial = fromCheckpoint ? [] : ((await sinks.tot.readRows()) as Array<[string, number]>);
      const totals = pairs.updateStateByKey<number>((vs, s) => (s ?? 0) + vs.reduce((a, b) => a + b, 0), { initialRDD: initial });
      const windowed = pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, WINDOW_MS, BATCH_MS);
      const both = totals.transformWith(windowed, (t, w) =>
        t.map(([k, n]): ['tot' | 'win', Row] => ['tot', { k, n }]).union(w.map(([k, n]): ['tot' | 'win', Row] => ['win', { k, n }])),
      );
      both.foreachRDD(async (rdd, time) => {
        if ((time / BATCH_MS) % job.writeEvery !== 0) {
          tracker.forget(time);
          return;
        }
        const rows: { tot: Row[]; win: Row[] } = { tot: [], win: [] };
        for (const [table, row] of rdd.collect()) rows[table].push(row);
        const result = await tables.writeBatch({ batchTime: time, offsetRanges: tracker.rangesAt(time) }, rows);
        tracker.forget(time);
        hooks.onWritten?.(result, time);
      });
      return ssc;
    },
  });
}
