/**
 * /metrics in Prometheus' text format (version 0.0.4). Counters and histograms cover every batch
 * since the context started; gauges are read when scraped (state keys from the graph, Kafka lag
 * after the last completed batch).
 */
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { stateKeys } from './graph.js';
import type { Histogram } from './Histogram.js';
import type { JobProgress } from './JobProgress.js';

/** A label value with Prometheus' escapes. */
const esc = (v: string | number): string => String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

class MetricsText {
  private readonly lines: string[] = [];

  metric(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels: Record<string, string | number> = {}): this {
    const ls = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`);
    this.lines.push(`${name}${ls.length > 0 ? `{${ls.join(',')}}` : ''} ${Number.isFinite(value) ? value : 'NaN'}`);
    return this;
  }

  histogram(name: string, help: string, h: Histogram, labels: Record<string, string | number>): this {
    this.metric(name, 'histogram', help);
    for (const [le, n] of h.buckets()) this.sample(`${name}_bucket`, n, { ...labels, le });
    this.sample(`${name}_sum`, h.sum, labels);
    this.sample(`${name}_count`, h.count, labels);
    return this;
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

export function metricsText(p: JobProgress, graph: DStreamGraph, appName: string): string {
  const m = new MetricsText();
  // A query's engine context is labelled by its query too (each has its own UI, and its own scrape).
  const query = p.display?.query;
  const app: Record<string, string> = query ? { app: appName, query: query.name ?? query.id } : { app: appName };
  m.metric('dstreams_batches_total', 'counter', 'Batches finished, by outcome.')
    .sample('dstreams_batches_total', p.totalCompleted - p.totalFailed, { ...app, status: 'completed' })
    .sample('dstreams_batches_total', p.totalFailed, { ...app, status: 'failed' });
  m.metric('dstreams_batches_active', 'gauge', 'Batches queued or running.').sample('dstreams_batches_active', p.active.size, app);
  m.metric('dstreams_records_total', 'counter', 'Input records of the finished batches.').sample(
    'dstreams_records_total',
    p.totalProcessedRecords,
    app,
  );
  m.metric('dstreams_input_records_total', 'counter', 'Input records of the finished batches, per input stream.');
  for (const input of graph.inputs) {
    m.sample('dstreams_input_records_total', p.recordsByStream.get(input.id) ?? 0, { ...app, stream: input.id, kind: input.kind });
  }
  m.histogram('dstreams_batch_scheduling_delay_seconds', 'Time a batch waited before it started.', p.schedulingDelay, app);
  m.histogram('dstreams_batch_processing_seconds', 'Time a batch took to run its output operations.', p.processingTime, app);
  m.histogram('dstreams_batch_total_delay_seconds', 'Scheduling delay plus processing time.', p.totalDelay, app);
  m.histogram('dstreams_checkpoint_write_seconds', "Time a batch's checkpoint commit took before the batch completed.", p.checkpointWrite, app);
  if (p.completed.length > 0) {
    const last = p.completed[p.completed.length - 1]!;
    m.metric('dstreams_last_batch_time_seconds', 'gauge', 'Time of the last finished batch (epoch seconds).').sample(
      'dstreams_last_batch_time_seconds',
      last.batchTime / 1000,
      app,
    );
  }
  if (p.completed.length > 0) {
    const last = p.completed[p.completed.length - 1]!;
    m.metric('dstreams_last_batch_records', 'gauge', 'Input records of the last finished batch.').sample('dstreams_last_batch_records', last.numRecords, app);
    if (last.numBytes !== undefined) {
      m.metric('dstreams_last_batch_bytes', 'gauge', 'Input bytes of the last finished batch (inputs that can tell).').sample('dstreams_last_batch_bytes', last.numBytes, app);
    }
  }
  m.metric('dstreams_heap_used_bytes', 'gauge', 'JS heap in use (process.memoryUsage().heapUsed) when scraped.').sample(
    'dstreams_heap_used_bytes',
    process.memoryUsage().heapUsed,
    app,
  );
  const keys = graph.stateKeyCounts();
  m.metric('dstreams_state_keys_where', 'gauge', 'Keys of every stateful stream: held in memory, and held only on disk (disk state store).')
    .sample('dstreams_state_keys_where', keys.inMemory, { ...app, where: 'memory' })
    .sample('dstreams_state_keys_where', keys.onDisk, { ...app, where: 'disk' });
  m.metric('dstreams_state_keys', 'gauge', 'Keys held by each stateful stream.');
  for (const s of stateKeys(graph)) m.sample('dstreams_state_keys', s.keys, { ...app, stream: s.id, kind: s.kind });
  m.metric('dstreams_kafka_lag_records', 'gauge', 'Records in a partition after the last completed batch (latest offset known - next offset).');
  for (const l of p.kafkaLag.values()) m.sample('dstreams_kafka_lag_records', l.lag, { ...app, topic: l.topic, partition: l.partition });
  m.metric('dstreams_kafka_offset', 'gauge', 'Next offset to read in a partition after the last completed batch.');
  for (const l of p.kafkaLag.values()) m.sample('dstreams_kafka_offset', l.offset, { ...app, topic: l.topic, partition: l.partition });
  m.metric('dstreams_receivers', 'gauge', 'Receivers by state.');
  const receivers = [...p.receivers.values()];
  m.sample('dstreams_receivers', receivers.filter((r) => r.active).length, { ...app, state: 'active' });
  m.sample('dstreams_receivers', receivers.filter((r) => !r.active).length, { ...app, state: 'inactive' });
  m.metric('dstreams_receiver_errors_total', 'counter', 'Errors a receiver reported.');
  for (const r of receivers) m.sample('dstreams_receiver_errors_total', r.errors, { ...app, stream: r.streamId, name: r.name });
  return m.toString();
}
