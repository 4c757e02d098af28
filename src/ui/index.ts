/**
 * Ways to watch a running context, attached by options (see context/attachments.ts):
 *  - `ui: true | { port, host, retainedBatches }` — the web UI, REST JSON and /metrics (WebUi);
 *  - `DSTREAMS_UI` in the environment (set by `dstreams run --ui` / `--ui-port N`) — the same for
 *    every context of the process that has no `ui` option: `1`, `port=N`, a port, or `host:port`;
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

/**
 * `DSTREAMS_UI`: `1`/`true` (the default port), `port=N` (any port, 0 a free one: what
 * `dstreams run --ui-port` sets), a bare port or `host:port`; undefined when unset or `0`/`false`.
 * A bare `0` and `1` keep their older meaning (off, on), hence the unambiguous `port=N`.
 */
export function uiOptionsFromEnv(value = process.env.DSTREAMS_UI): WebUiOptions | undefined {
  if (value === undefined || value === '' || value === '0' || value === 'false') return undefined;
  if (value === '1' || value === 'true') return {};
  const m = /^(?:port=(\d+)|(?:(.+):)?(\d+))$/.exec(value);
  if (!m) throw new Error(`DSTREAMS_UI must be 1, port=N, a port or host:port, got "${value}"`);
  if (m[1] !== undefined) return { port: Number(m[1]) };
  return { port: Number(m[3]), ...(m[2] ? { host: m[2].replace(/^\[|\]$/g, '') } : {}) };
}

StreamingContext.registerAttachment('ui', (ssc, options) => {
  const ui = options.ui ?? uiOptionsFromEnv();
  if (!ui) return undefined;
  return new WebUi(ssc, ui === true ? {} : ui);
});

StreamingContext.registerAttachment('progress', (ssc) => (process.env.DSTREAMS_PROGRESS === '1' ? new ProgressPrinter(ssc) : undefined));
