/**
 * The JSON of Spark's REST API for streaming (/api/v1/applications/{appId}/streaming/…), with
 * Spark's field names and date format, built from a JobProgress. Batch ids are batch times in
 * ms, as in Spark; an output operation's id is its index in its batch, as Spark's outputOpId. The
 * single-batch document adds what Spark's batch page shows beside it: each input's records (and
 * Kafka offset ranges) and the output operations.
 *
 * A structured query's engine context (JobProgress.display) is shown by its trigger: batch times
 * are the triggers' wall-clock starts, batchDuration the trigger's interval (0: none), and the
 * statistics add `streamingQuery` (id, runId, name, trigger), each batch its query `batchId` as
 * `queryBatchId` and its `inputRate` (the progress's inputRowsPerSecond).
 */
import type { BatchMemoryInfo, OutputOperationInfo } from '../context/StreamingListener.js';
import type { BatchStatus, BatchUIData, JobProgress, ReceiverUIData } from './JobProgress.js';

/** Spark's dates: `2015-11-05T19:44:58.323GMT`. */
export function sparkDate(ms: number): string {
  return new Date(ms).toISOString().replace('Z', 'GMT');
}

export interface AppDescription {
  id: string;
  name: string;
  startTime: number;
  endTime: number | undefined;
}

export function applications(app: AppDescription): unknown[] {
  const now = Date.now();
  const end = app.endTime;
  return [
    {
      id: app.id,
      name: app.name,
      attempts: [
        {
          startTime: sparkDate(app.startTime),
          endTime: sparkDate(end ?? -1),
          lastUpdated: sparkDate(end ?? now),
          duration: (end ?? now) - app.startTime,
          sparkUser: process.env.USER ?? '',
          completed: end !== undefined,
          appSparkVersion: 'dstreams',
          startTimeEpoch: app.startTime,
          endTimeEpoch: end ?? -1,
          lastUpdatedEpoch: end ?? now,
        },
      ],
    },
  ];
}

export function statistics(p: JobProgress): Record<string, unknown> {
  const r = p.retained;
  const n = p.completed.length;
  const avg = (sum: number): number | undefined => (n === 0 ? undefined : Math.round(sum / n));
  const rate = p.averageRate();
  const receivers = [...p.receivers.values()];
  const active = receivers.filter((r) => r.active).length;
  return {
    startTime: sparkDate(p.startTime ?? Date.now()),
    batchDuration: p.batchDuration,
    numReceivers: receivers.length,
    numActiveReceivers: active,
    numInactiveReceivers: receivers.length - active,
    numTotalCompletedBatches: p.totalCompleted,
    numRetainedCompletedBatches: p.completed.length,
    numActiveBatches: p.active.size,
    numProcessedRecords: p.totalProcessedRecords,
    numReceivedRecords: p.totalReceivedRecords,
    avgInputRate: rate,
    avgSchedulingDelay: avg(r.schedulingDelay),
    avgProcessingTime: avg(r.processingTime),
    avgTotalDelay: avg(r.totalDelay),
    // dstreams: heap and state keys after the last completed batch (issue 17).
    memory: p.lastMemory === undefined ? undefined : memoryJson(p.lastMemory),
    streamingQuery: queryJson(p),
  };
}

function queryJson(p: JobProgress): Record<string, unknown> | undefined {
  const d = p.display;
  return d === undefined ? undefined : { ...d.query, trigger: d.trigger, triggerInterval: d.intervalMs };
}

function memoryJson(m: BatchMemoryInfo): Record<string, number> {
  return { heapUsed: m.heapUsed, stateKeysInMemory: m.stateKeys.inMemory, stateKeysOnDisk: m.stateKeys.onDisk };
}

/** Spark counts every output operation of the batch from its submission: not ended (waiting or running) is active. */
function outputCounts(b: BatchUIData): { active: number; completed: number; failed: number; total: number } {
  let active = 0;
  let completed = 0;
  let failed = 0;
  for (const o of b.outputOps) {
    // Failed first: an operation that never ran because its batch failed has no end time.
    if (o.failureReason !== undefined) failed++;
    else if (o.endTime === undefined) active++;
    else completed++;
  }
  return { active, completed, failed, total: b.outputOps.length };
}

export function batch(p: JobProgress, b: BatchUIData): Record<string, unknown> {
  const ops = outputCounts(b);
  const firstFailure = b.outputOps.find((o) => o.failureReason !== undefined)?.failureReason ?? b.failureReason;
  return {
    batchId: b.batchTime,
    batchTime: sparkDate(b.batchTime),
    status: b.status,
    batchDuration: p.batchDuration,
    inputSize: b.numRecords,
    // dstreams: the batch's input bytes (when its inputs can tell) and memory once it completed.
    inputBytes: b.numBytes,
    memory: b.memory === undefined ? undefined : memoryJson(b.memory),
    schedulingDelay: b.schedulingDelay,
    processingTime: b.processingDelay,
    totalDelay: b.totalDelay,
    numActiveOutputOps: ops.active,
    numCompletedOutputOps: ops.completed,
    numFailedOutputOps: ops.failed,
    numTotalOutputOps: ops.total,
    firstFailureReason: firstFailure,
    queryBatchId: b.queryBatchId,
    inputRate: b.inputRate,
  };
}

export const BATCH_STATUSES: readonly BatchStatus[] = ['COMPLETED', 'QUEUED', 'PROCESSING'];

/** `?status=` values, repeatable and in any case (Spark's BatchStatus.fromString); a string saying why for an unknown one. */
export function batchStatuses(values: readonly string[]): BatchStatus[] | string {
  const out: BatchStatus[] = [];
  for (const v of values) {
    const s = BATCH_STATUSES.find((x) => x === v.toUpperCase());
    if (s === undefined) return `Illegal type='${v}'. Supported type values: ${BATCH_STATUSES.join(', ')}`;
    out.push(s);
  }
  return out;
}

/** Newest first, as Spark lists them; with `statuses`, only the batches in one of them. */
export function batches(p: JobProgress, statuses: readonly BatchStatus[] = []): unknown[] {
  const all = [...p.active.values()].sort((a, b) => b.batchTime - a.batchTime);
  for (let i = p.completed.length - 1; i >= 0; i--) all.push(p.completed[i]!);
  return all.filter((b) => statuses.length === 0 || statuses.includes(b.status)).map((b) => batch(p, b));
}

export function findBatch(p: JobProgress, batchTime: number): BatchUIData | undefined {
  const active = p.active.get(batchTime);
  if (active) return active;
  // Completed batches are in time order: binary search.
  let lo = 0;
  let hi = p.completed.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = p.completed[mid]!.batchTime;
    if (t === batchTime) return p.completed[mid];
    if (t < batchTime) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

function operation(o: OutputOperationInfo, outputOpId: number): Record<string, unknown> {
  return {
    outputOpId,
    name: o.name,
    description: o.description,
    startTime: o.startTime === undefined ? undefined : sparkDate(o.startTime),
    endTime: o.endTime === undefined ? undefined : sparkDate(o.endTime),
    duration: o.duration,
    jobIds: [],
    failureReason: o.failureReason,
  };
}

export function operations(b: BatchUIData): unknown[] {
  return b.outputOps.map((o, i) => operation(o, i));
}

/** One output operation by its outputOpId (Spark's OneOutputOperationResource); undefined when the batch has no such one. */
export function oneOperation(b: BatchUIData, outputOpId: number): Record<string, unknown> | undefined {
  const o = b.outputOps[outputOpId];
  return o === undefined ? undefined : operation(o, outputOpId);
}

/** One batch with its details: Spark's batch fields, then inputs per stream and output operations. */
export function batchDetails(p: JobProgress, b: BatchUIData, streamName: (id: number) => string): Record<string, unknown> {
  return {
    ...batch(p, b),
    submissionTime: sparkDate(b.submissionTime),
    processingStartTime: b.processingStartTime === undefined ? undefined : sparkDate(b.processingStartTime),
    processingEndTime: b.processingEndTime === undefined ? undefined : sparkDate(b.processingEndTime),
    checkpointWriteTime: b.checkpointWriteMs === undefined ? undefined : Math.round(b.checkpointWriteMs * 1000) / 1000,
    inputs: Object.values(b.inputs).map((i) => ({
      streamId: i.inputStreamId,
      streamName: streamName(i.inputStreamId),
      numRecords: i.numRecords,
      ...(i.metadata?.offsetRanges ? { offsetRanges: i.metadata.offsetRanges } : {}),
    })),
    outputOperations: operations(b),
  };
}

export function receivers(p: JobProgress): unknown[] {
  return [...p.receivers.values()].sort((a, b) => a.streamId - b.streamId).map((r) => receiver(p, r));
}

export function receiver(p: JobProgress, r: ReceiverUIData): Record<string, unknown> {
  return {
    streamId: r.streamId,
    streamName: r.name,
    isActive: r.active,
    executorId: 'driver',
    executorHost: 'localhost',
    lastErrorTime: r.lastErrorTime === undefined ? undefined : sparkDate(r.lastErrorTime),
    lastErrorMessage: r.lastErrorMessage,
    lastError: r.lastError,
    numErrors: r.errors,
    avgEventRate: p.averageRate(r.streamId),
    eventRates: p.eventRates(r.streamId),
  };
}

/** dstreams' own (not a Spark endpoint): each input stream's rates, direct inputs included, which Spark's /receivers leaves out. */
export interface InputRates {
  streamId: number;
  streamName: string;
  hasReceiver: boolean;
  avgEventRate: number | undefined;
  /** Per retained batch; left out of the per-batch events (`history` false), which need only the average. */
  eventRates?: Array<[number, number]>;
}

export function inputs(p: JobProgress, streamIds: readonly number[], streamName: (id: number) => string, history = true): InputRates[] {
  return [...streamIds]
    .sort((a, b) => a - b)
    .map((id) => ({
      streamId: id,
      streamName: streamName(id),
      hasReceiver: p.receivers.has(id),
      avgEventRate: p.averageRate(id),
      ...(history ? { eventRates: p.eventRates(id) } : {}),
    }));
}
