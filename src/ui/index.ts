/**
 * Ways to watch a running context, attached by options (see context/attachments.ts):
 *  - `ui: true | { port, host, retainedBatches }` — the web UI, REST JSON and /metrics (WebUi);
 *  - `DSTREAMS_UI` in the environment (set by `dstreams run --ui [port]`) — the same for every
 *    context of the process that has no `ui` option: `1`, a port, or `host:port`;
 *  - `DSTREAMS_PROGRESS=1` (set by `dstreams run` unless --quiet) — one line per batch on stderr.
 * Importing this module registers them; the package entry imports it.
 */
import type { WebUiOptions } from '../context/options.js';
import { StreamingContext } from '../context/StreamingContext.js';
import { ProgressPrinter } from './progress.js';
import { WebUi } from './WebUi.js';

export { WebUi } from './WebUi.js';
export { JobProgress, type BatchUIData, type ReceiverUIData, type PartitionLag } from './JobProgress.js';
export { describeGraph, type GraphNode } from './graph.js';
export { ProgressPrinter, formatProgressLine, kafkaLag } from './progress.js';

/** `DSTREAMS_UI`: `1`/`true`, a port, or `host:port`; undefined when unset or `0`/`false`. */
export function uiOptionsFromEnv(value = process.env.DSTREAMS_UI): WebUiOptions | undefined {
  if (value === undefined || value === '' || value === '0' || value === 'false') return undefined;
  if (value === '1' || value === 'true') return {};
  const m = /^(?:(.+):)?(\d+)$/.exec(value);
  if (!m) throw new Error(`DSTREAMS_UI must be 1, a port or host:port, got "${value}"`);
  return { port: Number(m[2]), ...(m[1] ? { host: m[1].replace(/^\[|\]$/g, '') } : {}) };
}

StreamingContext.registerAttachment('ui', (ssc, options) => {
  const ui = options.ui ?? uiOptionsFromEnv();
  if (!ui) return undefined;
  return new WebUi(ssc, ui === true ? {} : ui);
});

StreamingContext.registerAttachment('progress', (ssc) => (process.env.DSTREAMS_PROGRESS === '1' ? new ProgressPrinter(ssc) : undefined));
