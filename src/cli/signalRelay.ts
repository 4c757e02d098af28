/**
 * How `dstreams run` passes SIGINT/SIGTERM on to the job it runs as a child, so that the job gets
 * each signal exactly once. A terminal's Ctrl-C (or `kill -INT -<pgid>`) reaches the whole
 * foreground process group, the job included: forwarding it too would hand the job a second
 * SIGINT, which ends a job whose `process.once('SIGINT', () => ssc.stop())` has already run, in
 * the middle of stopping. A signal sent to the CLI alone must still reach the job.
 *
 * The job's preload (jobSignals.ts) reports every relayed signal it handles on a pipe; the CLI
 * forwards its own signal only when no report came within {@link RELAY_WAIT_MS} of it (tsx's
 * relaySignals does the same over IPC). A job without a listener sends no report: a group signal
 * has then already ended it, and forwarding to a job that exited does nothing. A plain pipe, not
 * Node's 'ipc' channel: with one the job would get `process.send`, looking like a forked worker.
 *
 * The job stays in the terminal's foreground process group (not spawned detached): a background
 * group gets SIGTTIN when it reads a terminal's stdin and would stop, and a terminal hangup would
 * no longer reach it.
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/** The signals relayed; the preload reports the same ones. */
export const RELAYED_SIGNALS = ['SIGINT', 'SIGTERM'] as const satisfies readonly NodeJS.Signals[];
type Relayed = (typeof RELAYED_SIGNALS)[number];

/**
 * How long the CLI waits for the job's report before forwarding: long enough for a job whose event
 * loop is busy with a batch to run its listener, short enough not to delay a signal sent to the
 * CLI alone noticeably.
 */
export const RELAY_WAIT_MS = 500;

const isRelayed = (s: string): s is Relayed => (RELAYED_SIGNALS as readonly string[]).includes(s);

/** The child as the relay sees it. */
export type RelayTarget = Pick<ChildProcess, 'exitCode' | 'signalCode' | 'kill'>;

export interface RelayOptions {
  /** Default {@link RELAY_WAIT_MS}. */
  waitMs?: number;
  /** Where the CLI's signals come from: `process`, or an emitter standing in for it in a test. */
  signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
}

/**
 * Relays SIGINT and SIGTERM the CLI gets to `child`, unless `reports` (the child's pipe, one
 * signal name a line) says the child got it already. Returns the function that stops relaying
 * and closes `reports`; call it when the child exited.
 */
export function relaySignals(child: RelayTarget, reports: Readable, options: RelayOptions = {}): () => void {
  const { waitMs = RELAY_WAIT_MS, signals = process } = options;
  /** Per signal: when each report not yet matched with a signal of the CLI arrived. */
  const unmatched = new Map<Relayed, number[]>(RELAYED_SIGNALS.map((s) => [s, []]));
  /** Per signal: the CLI's signals still waiting for a report, oldest first. */
  const waiting = new Map<Relayed, Array<() => void>>(RELAYED_SIGNALS.map((s) => [s, []]));
  const timers = new Set<NodeJS.Timeout>();
  const running = (): boolean => child.exitCode === null && child.signalCode === null;

  /** The reports of `signal` still unmatched that came within the wait: older ones were about
   * another signal (one sent to the job alone), not one the CLI gets now. */
  const fresh = (signal: Relayed): number[] => {
    const now = Date.now();
    return unmatched.get(signal)!.filter((t) => now - t <= waitMs);
  };

  let partial = '';
  const onReport = (chunk: string): void => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!isRelayed(line)) continue;
      const matched = waiting.get(line)!.shift();
      if (matched) matched();
      else unmatched.set(line, [...fresh(line), Date.now()]);
    }
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (!isRelayed(signal)) return;
    // The job's report may come before the CLI's own listener runs.
    const earlier = fresh(signal);
    const matched = earlier.shift() !== undefined;
    unmatched.set(signal, earlier);
    if (matched) return;
    const queue = waiting.get(signal)!;
    const forward = (): void => {
      timers.delete(timer);
      queue.splice(queue.indexOf(reported), 1);
      if (running()) child.kill(signal);
    };
    const reported = (): void => {
      clearTimeout(timer);
      timers.delete(timer);
    };
    const timer = setTimeout(forward, waitMs);
    timers.add(timer);
    queue.push(reported);
  };

  reports.setEncoding('utf8');
  reports.on('data', onReport);
  for (const s of RELAYED_SIGNALS) signals.on(s, onSignal);
  return () => {
    for (const s of RELAYED_SIGNALS) signals.off(s, onSignal);
    for (const t of timers) clearTimeout(t);
    timers.clear();
    reports.off('data', onReport);
    // A process the job started may hold the pipe open: it must not keep the CLI alive.
    reports.destroy();
  };
}
