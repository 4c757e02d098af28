/**
 * One copy of the job bench/scaleout.ts runs (N at once, as child processes): lines from a
 * Kafka topic → words → (scaled out) repartitionByKey → running counts. Every copy is this
 * module; the graph is rebuilt from it.
 *
 *   argv: brokers topic applicationId|- checkpointDir mode batchMs [standbyReplicas]
 *   mode: state      scaled out, repartitionByKey + mapWithState (its changelog written every batch)
 *         stateless  scaled out, repartitionByKey + reduceByKey per batch (no state, no changelog)
 *         single     one process (no applicationId): direct stream + mapWithState
 * stdout: "ASSIGNED <json>", "SRC <input records of a batch>", "PAIRS <pairs into the last step>",
 *   "BATCH <json>" (with `cpu`: the process's CPU time so far, ms).
 */
import { KafkaUtils, State, StateSpec, StreamingContext, type DStream } from '../src/index.js';

const [brokers, topic, app, checkpointDir, mode, batchMs, standbyReplicas] = process.argv.slice(2);
const scaled = mode !== 'single';
const ssc = new StreamingContext({
  batchDuration: Number(batchMs ?? 1000),
  checkpointDir: checkpointDir!,
  ...(scaled ? { applicationId: app!, standbyReplicas: Number(standbyReplicas ?? 0) } : {}),
});
const lines = KafkaUtils.createDirectStream(ssc, [topic!], {
  'metadata.broker.list': brokers!,
  'auto.offset.reset': 'earliest',
  'session.timeout.ms': 6000,
  maxRatePerPartition: 50_000,
});
lines.foreachRDD((rdd) => void process.stdout.write(`SRC ${rdd.count()}\n`));
const words = lines.flatMap(([, line]) => line.split(' ').map((w): [string, number] => [w, 1]));
const pairs: DStream<[string, number]> = scaled ? words.repartitionByKey<string, number>() : words;
pairs.foreachRDD((rdd) => void process.stdout.write(`PAIRS ${rdd.count()}\n`));
if (mode === 'stateless') {
  pairs.reduceByKey((a, b) => a + b).foreachRDD((rdd) => void rdd.count());
} else {
  const spec = StateSpec.function((w: string, one: number | undefined, state: State<number>): number => {
    const n = (state.getOption() ?? 0) + (one ?? 0);
    state.update(n);
    return n;
  });
  pairs.mapWithState(spec).foreachRDD((rdd) => void rdd.count());
}
ssc.addStreamingListener({
  onPartitionsAssigned: (info) => void process.stdout.write(`ASSIGNED ${JSON.stringify({ ...info, at: Date.now() })}\n`),
  onBatchCompleted: (b) => {
    const cpu = process.cpuUsage();
    process.stdout.write(`BATCH ${JSON.stringify({ t: b.batchTime, n: b.numRecords, at: Date.now(), cpu: (cpu.user + cpu.system) / 1000 })}\n`);
  },
});
process.stdin.on('data', (d) => {
  if (String(d).includes('stop')) void ssc.stop({ graceful: true });
});
await ssc.start();
process.stdout.write('STARTED\n');
await ssc.awaitTermination();
process.exit(0);
