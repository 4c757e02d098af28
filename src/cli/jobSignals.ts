/**
 * Preloaded (`node --import`) into the job `dstreams run` starts, beside jobFailure: reads the
 * CLI's notices ("the CLI got SIGINT", one signal name a line) on the pipe whose fd is in
 * DSTREAMS_SIGNAL_FD and raises the signal in the job only when the job did not get it directly —
 * so a terminal's Ctrl-C (the whole process group) reaches the job once, and `kill -INT <cli pid>`
 * reaches it too. See signalRelay.ts.
 *
 * Why the decision is race-free: a group signal is pending in the job before the CLI's listener
 * even runs, so its byte is in libuv's signal pipe before the notice is written; the job's loop
 * runs the job's signal listeners (and the counter below) in the same poll phase that reads the
 * notice, or an earlier one, however long a batch kept the loop busy. The notice is decided by a
 * timer {@link NOTICE_WAIT_MS} later on that loop, so after any such listener.
 *
 * Counting: each directly delivered signal (the counter listens only while the job itself listens,
 * so a job without a listener keeps Node's default: the signal ends it) matches at most one notice;
 * a notice with no match raises the signal (`process.kill(process.pid, …)`), and the delivery of
 * a raised signal is not counted as direct. A direct signal older than {@link STALE_MS} before the
 * notice was another one (sent to the job alone) and matches none.
 */
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { READY, RELAYED_SIGNALS, isRelayed } from './signalRelay.js';

/** How long a notice waits on the job's loop before its decision: a margin, the ordering above is what counts. */
export const NOTICE_WAIT_MS = 100;
/** Direct signals run more than this before the notice was read are not its twin. */
export const STALE_MS = 1000;

const fd = Number(process.env.DSTREAMS_SIGNAL_FD);
// The job's own children are not run by the CLI: they must not use its pipe.
delete process.env.DSTREAMS_SIGNAL_FD;

type Relayed = (typeof RELAYED_SIGNALS)[number];
/** Per signal: when each direct delivery not yet matched with a notice ran (performance.now()). */
const direct = new Map<Relayed, number[]>(RELAYED_SIGNALS.map((s) => [s, []]));
/** Per signal: raised by a notice, delivery not yet seen. */
const raised = new Map<Relayed, number>(RELAYED_SIGNALS.map((s) => [s, 0]));

function count(signal: NodeJS.Signals): void {
  if (!isRelayed(signal)) return;
  const pending = raised.get(signal)!;
  if (pending > 0) raised.set(signal, pending - 1);
  else direct.get(signal)!.push(performance.now());
}

function decide(signal: Relayed, readAt: number): void {
  const fresh = direct.get(signal)!.filter((t) => t >= readAt - STALE_MS);
  if (fresh.shift() !== undefined) {
    direct.set(signal, fresh);
    return;
  }
  direct.set(signal, fresh);
  // Counted only if a listener of the job's is there to see it; without one the signal ends the job.
  if (process.listeners(signal).includes(count)) raised.set(signal, raised.get(signal)! + 1);
  process.kill(process.pid, signal);
}

function readNotices(pipe: Socket): void {
  let partial = '';
  pipe.setEncoding('utf8');
  pipe.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    const readAt = performance.now();
    for (const line of lines) if (isRelayed(line)) setTimeout(() => decide(line, readAt), NOTICE_WAIT_MS);
  });
  // The CLI gone: no more notices; the job goes on.
  pipe.on('error', () => undefined);
  // Never keeps the job alive.
  pipe.unref();
  pipe.write(`${READY}\n`);
}

if (Number.isInteger(fd) && fd > 2) {
  let pipe: Socket | undefined;
  try {
    pipe = new Socket({ fd, readable: true, writable: true });
  } catch {
    // Not a pipe the CLI gave: no READY, so the CLI signals the job directly.
  }
  if (pipe) {
    const listening = (signal: NodeJS.Signals): boolean => process.listeners(signal).includes(count);
    const listen = (signal: NodeJS.Signals): void => void (listening(signal) || process.prependListener(signal, count));
    process.on('newListener', (event: string | symbol, listener: unknown) => {
      if (isRelayed(event) && listener !== count) listen(event);
    });
    process.on('removeListener', (event: string | symbol, listener: unknown) => {
      if (!isRelayed(event) || listener === count) return;
      if (process.listenerCount(event) === 1 && listening(event)) process.removeListener(event, count);
    });
    // Any listener an earlier preload added counts as the job's own.
    for (const signal of RELAYED_SIGNALS) if (process.listenerCount(signal) > 0) listen(signal);
    readNotices(pipe);
  }
}
