/**
 * Preloaded (`node --import`) into the job `dstreams run` starts, beside jobFailure: tells the CLI
 * each SIGINT/SIGTERM the job handles, on the pipe whose fd is in DSTREAMS_SIGNAL_FD, so the CLI
 * forwards a signal only when it reached the CLI alone (`kill -INT <cli pid>`), never a second
 * time when it reached the whole process group (a terminal's Ctrl-C) — see signalRelay.ts.
 *
 * It listens only while the job itself listens for that signal, so a job without a listener keeps
 * Node's default (the signal ends it, exit by that signal), and a job whose `process.once` listener
 * has run is ended by the next one, as under plain `node`.
 */
import { writeSync } from 'node:fs';
import { RELAYED_SIGNALS } from './signalRelay.js';

const fd = Number(process.env.DSTREAMS_SIGNAL_FD);
// The job's own children are not run by the CLI: they must not write to its pipe.
delete process.env.DSTREAMS_SIGNAL_FD;

/** Writes one report; synchronous and handle-free, so it never keeps the job alive. */
function report(signal: NodeJS.Signals): void {
  try {
    writeSync(fd, `${signal}\n`);
  } catch {
    // The CLI is gone (EPIPE) or its pipe is full: the job still handles its signal, and the CLI,
    // if alive, forwards at worst one more after its wait, as before this report existed.
  }
}

if (Number.isInteger(fd) && fd > 2) {
  const relayed = (event: string | symbol): event is NodeJS.Signals => (RELAYED_SIGNALS as readonly (string | symbol)[]).includes(event);
  const listening = (signal: NodeJS.Signals): boolean => process.listeners(signal).includes(report);
  // First, so the report goes out even when the job's listener ends the process.
  const listen = (signal: NodeJS.Signals): void => void (listening(signal) || process.prependListener(signal, report));
  process.on('newListener', (event: string | symbol, listener: unknown) => {
    if (relayed(event) && listener !== report) listen(event);
  });
  process.on('removeListener', (event: string | symbol, listener: unknown) => {
    if (!relayed(event) || listener === report) return;
    if (process.listenerCount(event) === 1 && listening(event)) process.removeListener(event, report);
  });
  // Any listener an earlier preload added counts as the job's own.
  for (const signal of RELAYED_SIGNALS) if (process.listenerCount(signal) > 0) listen(signal);
}
