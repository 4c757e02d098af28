/**
 * `dstreams run`'s console view: one line per finished batch on stderr — its time, records,
 * input rate, processing time, total delay and, when a direct Kafka stream read it, the lag left
 * behind — and where the web UI is, if there is one. Attached by `DSTREAMS_PROGRESS=1`.
 *
 * A receiver that fails (a socket with no server yet, a broker away) gets one line when its
 * error starts or changes — Spark logs "Restarting receiver … Error connecting to …" — not one
 * per retry, and one when its records come again.
 *
 * A structured query's engine context (one with a BatchDisplay) is shown as the query: started
 * with its name, ids and trigger, each batch at its trigger's wall-clock start with its batchId
 * and the input rate its StreamingQueryProgress reports — not its engine's ManualClock times.
 */
import { batchDisplayOf, type BatchDisplay, type ContextAttachment } from '../context/attachments.js';
import type { StreamingContext } from '../context/StreamingContext.js';
import type { CompletedBatchInfo, StreamInputInfo } from '../context/StreamingListener.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import type { ReceiverInfo } from '../receivers/ReceiverSupervisor.js';
import { describeFailure } from '../util/usage.js';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
/** `HH:mm:ss`, and `.SSS` when the time has a fraction of a second (as the web UI's batch times). */
const clock = (ms: number): string => {
  const d = new Date(ms);
  const fraction = d.getMilliseconds() === 0 ? '' : `.${pad(d.getMilliseconds(), 3)}`;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${fraction}`;
};

/** Records behind the latest offsets after this batch, summed over every partition a direct Kafka stream read; undefined without one. */
export function kafkaLag(inputs: Record<number, StreamInputInfo> | undefined): number | undefined {
  let lag: number | undefined;
  for (const i of Object.values(inputs ?? {})) {
    const ranges = i.metadata?.offsetRanges as OffsetRange[] | undefined;
    const latest = i.metadata?.latestOffsets as Record<string, number> | undefined;
    if (!Array.isArray(ranges)) continue;
    for (const r of ranges) lag = (lag ?? 0) + Math.max(0, (latest?.[`${r.topic}:${r.partition}`] ?? r.untilOffset) - r.untilOffset);
  }
  return lag;
}

/** Records/s: whole from 10 up, else with one decimal when it has one. */
const rateText = (r: number): string => (r >= 10 ? String(Math.round(r)) : String(Math.round(r * 10) / 10));

/**
 * One batch's line. `query`: a query's batch — its trigger's start replaces the batch time, and
 * its batchId and input rate (inputRowsPerSecond) are shown instead of a rate over the batch duration.
 */
export function formatProgressLine(
  info: CompletedBatchInfo,
  batchDurationMs: number,
  query?: { time: number; batchId: number; inputRowsPerSecond: number },
): string {
  const head = query
    ? [`batch ${clock(query.time)}`, `batchId ${query.batchId}`, `${info.numRecords} records`, `${rateText(query.inputRowsPerSecond)} records/s`]
    : [`batch ${clock(info.batchTime)}`, `${info.numRecords} records`, `${Math.round(info.numRecords / (batchDurationMs / 1000))} records/s`];
  const parts = [
    ...head,
    `processing ${info.processingDelay} ms`,
    `total delay ${info.totalDelay} ms`,
  ];
  const lag = kafkaLag(info.streamIdToInputInfo);
  if (lag !== undefined) parts.push(`Kafka lag ${lag}`);
  if (info.failureReason !== undefined) parts.push(`FAILED: ${info.failureReason.split('\n')[0]}`);
  return parts.join(' | ');
}

/** A receiver error's line: its message and the error's causes, on one line. */
export function formatReceiverError(info: ReceiverInfo): string {
  const why = info.lastError === undefined ? '' : describeFailure(info.lastError);
  const message = info.lastErrorMessage ?? 'error';
  return `receiver ${info.name}: ${message}${why && !message.includes(why) ? `: ${why}` : ''}`;
}

export class ProgressPrinter implements ContextAttachment {
  constructor(
    ssc: StreamingContext,
    write: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
  ) {
    // Read when events come: a query's engine registers its display after constructing the context.
    const display = (): BatchDisplay | undefined => batchDisplayOf(ssc);
    // The error line last written per failing receiver (by stream id): a retry failing alike writes nothing.
    const failing = new Map<number, { line: string; name: string }>();
    ssc.addStreamingListener({
      onStreamingStarted: () => {
        const ui = ssc.uiWebUrl;
        const d = display();
        const how = d ? `${d.label} started, ${d.trigger}` : `started, a batch every ${ssc.batchDuration / 1000} s`;
        write(`${ssc.appName}: ${how}${ui ? `; web UI at ${ui}` : ''}`);
      },
      onBatchCompleted: (info) => {
        write(formatProgressLine(info, ssc.batchDuration, display()?.batch(info.batchTime)));
        for (const [id, input] of Object.entries(info.streamIdToInputInfo ?? {})) {
          const failed = failing.get(Number(id));
          if (input.numRecords > 0 && failed && failing.delete(Number(id))) write(`receiver ${failed.name}: receiving again`);
        }
      },
      onReceiverError: (info) => {
        const line = formatReceiverError(info);
        if (failing.get(info.streamId)?.line === line) return;
        failing.set(info.streamId, { line, name: info.name });
        write(line);
      },
    });
  }
}
