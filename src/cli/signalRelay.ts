/**
 * How `dstreams run` passes SIGINT/SIGTERM on to the job it runs as a child, so that the job gets
 * each signal exactly once. A terminal's Ctrl-C (or `kill -INT -<pgid>`) reaches the whole
 * foreground process group, the job included: forwarding it too would hand the job a second
 * SIGINT, which ends a job whose `process.once('SIGINT', () => ssc.stop())` has already run, in
 * the middle of stopping. A signal sent to the CLI alone (`kill -INT <cli pid>`) must still reach
 * the job.
 *
 * The CLI cannot tell the two apart, and no timer in the CLI can: a job whose event loop is busy
 * with a batch runs its listener only when the batch ends. So the CLI does not signal the job: it
 * sends a notice ("the CLI got SIGINT", one signal name a line) on the job's fd 3, and the job's
 * preload (jobSignals.ts) decides on the job's own event loop, where the job's listener for a
 * signal the job got directly has run before the notice's decision — see there. A plain pipe, not
 * Node's 'ipc' channel: with one the job would get `process.send`, looking like a forked worker.
 *
 * The preload writes {@link READY} on the pipe once it reads notices. Until then (a job that has
 * not reached it, or could not open its fd) the CLI signals the job directly, as a CLI without
 * this relay would: the job has no listener of its own yet, so a group signal has already ended it.
 * After it, a pipe the job closed means the job is exiting: the CLI sends nothing more.
 *
 * The job stays in the terminal's foreground process group (not spawned detached): a background
 * group gets SIGTTIN when it reads a terminal's stdin and would stop, and a terminal hangup would
 * no longer reach it.
 */
import type { ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';

/** The signals relayed; the preload handles notices of the same ones. */
export const RELAYED_SIGNALS = ['SIGINT', 'SIGTERM'] as const satisfies readonly NodeJS.Signals[];
type Relayed = (typeof RELAYED_SIGNALS)[number];

/** The line the preload writes on the pipe once it reads notices. */
export const READY = 'ready';

export const isRelayed = (s: string | symbol): s is Relayed => (RELAYED_SIGNALS as readonly (string | symbol)[]).includes(s);

/** The child as the relay sees it. */
export type RelayTarget = Pick<ChildProcess, 'exitCode' | 'signalCode' | 'kill'>;

export interface RelayOptions {
  /** Where the CLI's signals come from: `process`, or an emitter standing in for it in a test. */
  signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
}

/**
 * Relays SIGINT and SIGTERM the CLI gets to `child`: as a notice on `pipe` (the child's fd 3) once
 * the child's preload said {@link READY} on it, as a signal before. Returns the function that stops
 * relaying and closes `pipe`; call it when the child exited.
 */
export function relaySignals(child: RelayTarget, pipe: Duplex, options: RelayOptions = {}): () => void {
  const { signals = process } = options;
  let ready = false;
  const running = (): boolean => child.exitCode === null && child.signalCode === null;

  let partial = '';
  const onData = (chunk: string): void => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    if (lines.includes(READY)) ready = true;
  };
  // The job gone (EPIPE) or closing its end: its exit ends the relay.
  const onError = (): void => undefined;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (!isRelayed(signal) || !running()) return;
    if (!ready) return void child.kill(signal);
    // Ready, and its end of the pipe closed: the job is exiting (a group signal already stopped
    // it) and the CLI has not seen the exit yet. Another signal would end it mid-stop.
    if (pipe.writable) pipe.write(`${signal}\n`);
  };

  pipe.setEncoding('utf8');
  pipe.on('data', onData);
  pipe.on('error', onError);
  for (const s of RELAYED_SIGNALS) signals.on(s, onSignal);
  return () => {
    for (const s of RELAYED_SIGNALS) signals.off(s, onSignal);
    pipe.off('data', onData);
    // A process the job started may hold the pipe open: it must not keep the CLI alive.
    pipe.destroy();
  };
}
