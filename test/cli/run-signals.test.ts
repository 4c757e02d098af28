// `dstreams run` and Ctrl-C: the job gets each SIGINT/SIGTERM exactly once, whether the signal
// reached the whole process group (a terminal's Ctrl-C: the job gets it directly) or the CLI alone
// (`kill -INT <cli pid>`: the CLI passes it on), even while a batch keeps the job's event loop busy.
// A job that stops gracefully exits 0 and runs its `finally` once; a job without a listener ends as
// Node's default would, by the signal, and the CLI then ends by that signal too (a shell's loop stops).
import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { READY, relaySignals } from '../../src/cli/signalRelay.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const JOB = path.join(ROOT, 'test/cli/fixtures/signal-job.ts');
const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, 'SIGKILL');
});

type Handler = 'on' | 'once' | 'none';
type Target = 'group' | 'cli';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Run {
  /** The CLI's exit code, or 128 + the number of the signal that ended it. */
  code: number;
  /** The signal that ended the CLI, if one did. */
  signal: NodeJS.Signals | null;
  lines: string[];
}

/**
 * Runs the fixture job under the CLI, waits for `waitFor` on its stdout (then `delayMs` more),
 * sends `signals` `gapMs` apart, and returns how the CLI ended and its stdout lines.
 */
async function runAndSignal(
  handler: Handler,
  target: Target,
  signals: NodeJS.Signals[],
  { gapMs = 0, busyMs = 0, stopMs = 300, waitFor = 'started', delayMs = 0 }: { gapMs?: number; busyMs?: number; stopMs?: number; waitFor?: string; delayMs?: number } = {},
): Promise<Run> {
  // Its own process group, as a shell runs a foreground job: the test can signal the group.
  const cli = spawn(process.execPath, [path.join(ROOT, 'src/cli/bin.mjs'), 'run', '--quiet', JOB], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SIGNAL_HANDLER: handler, BUSY_MS: String(busyMs), STOP_MS: String(stopMs) },
  });
  running.push(cli);
  let out = '';
  let err = '';
  cli.stdout!.on('data', (d) => (out += String(d)));
  cli.stderr!.on('data', (d) => (err += String(d)));
  const exit = new Promise<Omit<Run, 'lines'>>((resolve) =>
    cli.on('exit', (c, s) => resolve({ code: c ?? 128 + (s === 'SIGINT' ? 2 : s === 'SIGTERM' ? 15 : 9), signal: s })),
  );
  const deadline = Date.now() + 30_000;
  while (!out.includes(`${waitFor}\n`) && cli.exitCode === null && Date.now() < deadline) await sleep(20);
  expect(out, err).toContain(`${waitFor}\n`);
  await sleep(delayMs);
  for (const [i, signal] of signals.entries()) {
    if (i > 0) await sleep(gapMs);
    if (target === 'group') process.kill(-cli.pid!, signal);
    else cli.kill(signal);
  }
  const ended = await exit;
  return { ...ended, lines: out.split('\n').filter((l) => l !== '') };
}

const count = (lines: string[], line: string): number => lines.filter((l) => l === line).length;

describe('dstreams run: a signal reaches the job once', { timeout: 60_000 }, () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const target of ['group', 'cli'] as const) {
      it(`${signal} to the ${target === 'group' ? 'process group (Ctrl-C)' : 'CLI alone'}: a listener that stays runs once; exit 0, finally once`, async () => {
        const { code, lines } = await runAndSignal('on', target, [signal]);
        expect(count(lines, `handled ${signal}`), lines.join('\n')).toBe(1);
        expect(count(lines, 'cleanup')).toBe(1);
        expect(code).toBe(0);
      });
    }
  }

  it("the examples' process.once('SIGINT', stop), Ctrl-C: stops gracefully, exit 0, finally once", async () => {
    const { code, lines } = await runAndSignal('once', 'group', ['SIGINT']);
    expect(count(lines, 'handled SIGINT'), lines.join('\n')).toBe(1);
    expect(count(lines, 'cleanup')).toBe(1);
    expect(code).toBe(0);
  });

  it('one Ctrl-C while a batch keeps the job busy 1.5 s: the job gets one SIGINT, not a second after the batch', async () => {
    const { code, lines } = await runAndSignal('on', 'group', ['SIGINT'], { busyMs: 1500, waitFor: 'busy', delayMs: 50 });
    expect(count(lines, 'handled SIGINT'), lines.join('\n')).toBe(1);
    expect(count(lines, 'cleanup')).toBe(1);
    expect(code).toBe(0);
  });

  it('two SIGINTs to the CLI alone 300 ms apart: the job gets two', async () => {
    // The job stops 1.5 s after a signal: the second comes while it still runs.
    const { code, lines } = await runAndSignal('on', 'cli', ['SIGINT', 'SIGINT'], { gapMs: 300, stopMs: 1500 });
    expect(count(lines, 'handled SIGINT'), lines.join('\n')).toBe(2);
    expect(code).toBe(0);
  });

  for (const target of ['group', 'cli'] as const) {
    it(`a job without a listener still ends on one SIGINT to the ${target}, as Node's default, and the CLI dies by SIGINT`, async () => {
      const { code, signal, lines } = await runAndSignal('none', target, ['SIGINT']);
      expect(lines).toEqual(['started']);
      expect(signal).toBe('SIGINT');
      expect(code).toBe(130);
    });
  }

  it('a job without a listener ends on one SIGTERM to the CLI, and the CLI dies by SIGTERM', async () => {
    const { code, signal } = await runAndSignal('none', 'cli', ['SIGTERM']);
    expect(signal).toBe('SIGTERM');
    expect(code).toBe(143);
  });
});

describe('relaySignals', () => {
  const setup = () => {
    const child = { exitCode: null as number | null, signalCode: null, kill: vi.fn(() => true) };
    const written: string[] = [];
    const pipe = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, done) => {
        written.push(String(chunk));
        done();
      },
    });
    const signals = new EventEmitter();
    const stop = relaySignals(child, pipe, { signals });
    return { child, pipe, written, signals, stop };
  };

  it('before the job said it reads notices, signals it directly', () => {
    const { child, written, signals, stop } = setup();
    signals.emit('SIGTERM', 'SIGTERM');
    expect(child.kill).toHaveBeenCalledExactlyOnceWith('SIGTERM');
    expect(written).toEqual([]);
    stop();
  });

  it('once the job said it reads notices, sends a notice per signal and never signals it', async () => {
    const { child, pipe, written, signals, stop } = setup();
    pipe.push(`${READY.slice(0, 2)}`);
    pipe.push(`${READY.slice(2)}\n`);
    await sleep(10);
    signals.emit('SIGINT', 'SIGINT');
    signals.emit('SIGINT', 'SIGINT');
    signals.emit('SIGTERM', 'SIGTERM');
    await sleep(10);
    expect(written.join('')).toBe('SIGINT\nSIGINT\nSIGTERM\n');
    expect(child.kill).not.toHaveBeenCalled();
    stop();
  });

  it('once ready, a job that closed its end of the pipe (exiting, its exit not seen yet) gets no signal', async () => {
    const { child, pipe, written, signals, stop } = setup();
    pipe.push(`${READY}\n`);
    await sleep(10);
    pipe.end(); // the job's end closed: it is stopping on the group's signal it got itself
    await sleep(10);
    expect(pipe.writable).toBe(false);
    signals.emit('SIGINT', 'SIGINT');
    expect(child.kill).not.toHaveBeenCalled();
    expect(written).toEqual([]);
    stop();
  });

  it('relays nothing to a job that exited', () => {
    const { child, written, signals, stop } = setup();
    child.exitCode = 0;
    signals.emit('SIGINT', 'SIGINT');
    expect(child.kill).not.toHaveBeenCalled();
    expect(written).toEqual([]);
    stop();
  });

  it('stops relaying once stopped: no listener left, the pipe closed', () => {
    const { child, pipe, signals, stop } = setup();
    stop();
    signals.emit('SIGINT', 'SIGINT');
    expect(child.kill).not.toHaveBeenCalled();
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
    expect(pipe.destroyed).toBe(true);
  });
});
