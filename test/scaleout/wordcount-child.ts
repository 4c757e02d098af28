// One copy of the scaled-out wordcount of scaleout.test.ts (run as a child process, N at once):
// lines from a 6-partition topic → words → repartitionByKey → running totals per word
// (updateStateByKey, mapWithState, or reduceByKeyAndWindow with an inverse over a window longer
// than the test) → PostgreSQL, fenced per task (writeFenced). Every copy is
// this same module: the graph is rebuilt from the job's own code.
//
// argv: brokers topic applicationId checkpointDir mode(update|mapWithState|window|window-batches) pgJSON(table, connection) batchMs [standbyReplicas] [initialJSON]
// window-batches: reduceByKeyAndWindow WITHOUT inverse (its window's batches move through a changelog),
// plus countByWindow over the input lines sliding every 2 batches, printed as "COUNT <json>", and
// reduceByKeyAndWindow WITH inverse sliding every 2 batches, its values summed, as "WORDS <json>".
//   initialJSON: [[word, n], …], the state's initial totals (updateStateByKey's initialRDD, StateSpec.initialState).
// stdout: "STARTED", "ASSIGNED <json>" per rebalance (listener) and "ASSIGNED$ <generation>" (assignment$), "BATCH <json>" per completed batch, "STOPPED".
// stdin "stop" (or SIGTERM): graceful stop (finishes the batches due, leaves the group).
// stdin "crash": the copy's consumer-group member is disconnected under it (kafkajs's own
// disconnect: a real LeaveGroup), as when it crashes; the copy must rejoin by itself.
import type { Consumer } from 'kafkajs';
import { KafkaUtils, PostgresSink, State, StateSpec, StreamingContext, writeFenced, type DStream } from '../../src/index.js';
import { ScaleOut } from '../../src/scaleout/index.js';

const [brokers, topic, applicationId, checkpointDir, mode, pgJson, batchMs, standbyReplicas, initialJson] = process.argv.slice(2);
const pg = JSON.parse(pgJson!) as { schema: string; table: string; sinkId: string; connection: Record<string, unknown> };
const initial = initialJson ? (JSON.parse(initialJson) as Array<[string, number]>) : undefined;

const words = (line: string): string[] => line.toLowerCase().split(/\W+/).filter((w) => w.length > 0);

const sink = new PostgresSink<{ word: string; n: number }>({
  connection: pg.connection,
  table: { schema: pg.schema, name: pg.table },
  columns: ['word', 'n'],
  keyColumns: ['word'],
  mode: 'update',
  createTable: { word: 'text', n: 'bigint' },
  sinkId: pg.sinkId,
  offsetCheck: 'contiguous',
});

// getOrCreate: a copy restarted on its checkpoint directory starts from its local state.
const ssc = await StreamingContext.getOrCreate(checkpointDir!, () => {
  const c = new StreamingContext({
    batchDuration: Number(batchMs ?? 500),
    applicationId: applicationId!,
    checkpointDir: checkpointDir!,
    standbyReplicas: Number(standbyReplicas ?? 0),
  });
  const lines = KafkaUtils.createDirectStream(c, [topic!], {
    'metadata.broker.list': brokers!,
    'auto.offset.reset': 'earliest',
    'session.timeout.ms': 6000,
    maxRatePerPartition: 4000,
  });
  const pairs = lines.flatMap(([, line]) => words(line).map((w): [string, number] => [w, 1])).repartitionByKey<string, number>();
  let totals: DStream<[string, number]>;
  if (mode === 'mapWithState') {
    const spec = StateSpec.function((word: string, one: number | undefined, state: State<number>): [string, number] => {
      const n = (state.getOption() ?? 0) + (one ?? 0);
      state.update(n);
      return [word, n];
    }).name('totals');
    if (initial) spec.initialState(initial); // named state: its changelog is <applicationId>-totals-changelog
    const mapped = pairs.mapWithState(spec);
    mapped.checkpoint(2 * Number(batchMs ?? 500));
    totals = mapped;
  } else if (mode === 'window-batches') {
    totals = pairs.reduceByKeyAndWindow((a, b) => a + b, 600_000, Number(batchMs ?? 500));
    lines.countByWindow(600_000, 2 * Number(batchMs ?? 500)).foreachRDD((rdd, t) => {
      process.stdout.write(`COUNT ${JSON.stringify({ t, n: rdd.collect()[0] })}\n`);
    });
    // A window WITH an inverse sliding every 2 batches (scaled out, it steps every batch): its words, summed.
    pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 600_000, 2 * Number(batchMs ?? 500)).foreachRDD((rdd, t) => {
      process.stdout.write(`WORDS ${JSON.stringify({ t, n: rdd.collect().reduce((n, [, v]) => n + v, 0) })}\n`);
    });
  } else if (mode === 'window') {
    // Ten minutes: longer than the test, so the window's totals are the running totals.
    totals = pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 600_000, Number(batchMs ?? 500));
  } else {
    totals = pairs.updateStateByKey<number>((ones, n) => (n ?? 0) + ones.length, initial ? { initialRDD: initial } : {});
    totals.checkpoint(2 * Number(batchMs ?? 500));
  }
  writeFenced(totals, sink, ([word, n]) => ({ word, n }));
  return c;
});

ssc.addStreamingListener({
  onPartitionsAssigned: (info) => void process.stdout.write(`ASSIGNED ${JSON.stringify({ ...info, at: Date.now() })}\n`),
  onBatchCompleted: (b) => void process.stdout.write(`BATCH ${JSON.stringify({ t: b.batchTime, n: b.numRecords, at: Date.now() })}\n`),
});

ssc.assignment$.subscribe((info) => void process.stdout.write(`ASSIGNED$ ${info.generation}\n`));

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void ssc.stop({ graceful: true });
};
process.stdin.on('data', (d) => {
  if (String(d).includes('stop')) stop();
  if (String(d).includes('crash')) {
    // Test-only reach into the copy's group member (kafka/group.ts) for its kafkajs consumer.
    const member = (ScaleOut.of(ssc.graph) as unknown as { member: { consumer: Consumer | undefined } }).member;
    void member.consumer?.disconnect();
  }
});
process.on('SIGTERM', stop);

await ssc.start();
process.stdout.write('STARTED\n');
try {
  await ssc.awaitTermination();
} finally {
  await sink.close();
}
process.stdout.write('STOPPED\n');
process.exit(0);
