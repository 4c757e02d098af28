/**
 * `dstreams run`'s console view: one line per finished batch on stderr — its time, records,
 * input rate, processing time, total delay and, when a direct Kafka stream read it, the lag left
 * behind — and where the web UI is, if there is one. Attached by `DSTREAMS_PROGRESS=1`.
 */
import type { ContextAttachment } from '../context/attachments.js';
import type { StreamingContext } from '../context/StreamingContext.js';
import type { CompletedBatchInfo, StreamInputInfo } from '../context/StreamingListener.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';

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

export function formatProgressLine(info: CompletedBatchInfo, batchDurationMs: number): string {
  const rate = Math.round(info.numRecords / (batchDurationMs / 1000));
  const parts = [
    `batch ${clock(info.batchTime)}`,
    `${info.numRecords} records`,
    `${rate} records/s`,
    `processing ${info.processingDelay} ms`,
    `total delay ${info.totalDelay} ms`,
  ];
  const lag = kafkaLag(info.streamIdToInputInfo);
  if (lag !== undefined) parts.push(`Kafka lag ${lag}`);
  if (info.failureReason !== undefined) parts.push(`FAILED: ${info.failureReason.split('\n')[0]}`);
  return parts.join(' | ');
}

export class ProgressPrinter implements ContextAttachment {
  constructor(
    ssc: StreamingContext,
    write: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
  ) {
    ssc.addStreamingListener({
      onStreamingStarted: () => {
        const ui = ssc.uiWebUrl;
        write(`${ssc.appName}: started, a batch every ${ssc.batchDuration / 1000} s${ui ? `; web UI at ${ui}` : ''}`);
      },
      onBatchCompleted: (info) => write(formatProgressLine(info, ssc.batchDuration)),
    });
  }
}
