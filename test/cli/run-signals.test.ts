// `dstreams run` and Ctrl-C: the job gets each SIGINT/SIGTERM exactly once, whether the signal
// reached the whole process group (a terminal's Ctrl-C: the job gets it directly) or the CLI alone
// (`kill -INT <cli pid>`: the CLI forwards it). A job that stops gracefully exits 0 and runs its
// `finally` once; a job without a listener ends as Node's default would, by the signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { relaySignals } from '../../src/cli/signalRelay.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const JOB = path.join(ROOT, 'test/cli/fixtures/signal-job.ts');
const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, 'SIGKILL');
});

type Handler = 'on' | 'once' | 'none';
type Target = 'group' | 'cli';

/** Runs the fixture job under the CLI, sends `signal` once it started, and returns the exit code and stdout lines. */
async function runAndSignal(handler: Handler, target: Target, signal: NodeJS.Signals): Promise<{ code: number; lines: string[] }> {
  // Its own process group, as a shell runs a foreground job: the test can signal the group.
  const cli = spawn(process.execPath, [path.join(ROOT, 'src/cli/bin.mjs'), 'run', '--quiet', JOB], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SIGNAL_HANDLER: handler },
  });
  running.push(cli);
  let out = '';
  let err = '';
  cli.stdout!.on('data', (d) => (out += String(d)));
  cli.stderr!.on('data', (d) => (err += String(d)));
  const exit = new Promise<number>((resolve) => cli.on('exit', (c, s) => resolve(c ?? 128 + (s === 'SIGINT' ? 2 : s === 'SIGTERM' ? 15 : 9))));
  const deadline = Date.now() + 30_000;
  while (!out.includes('started\n') && cli.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(out, err).toContain('started\n');
  if (target === 'group') process.kill(-cli.pid!, signal);
  else cli.kill(signal);
  const code = await exit;
  return { code, lines: out.split('\n').filter((l) => l !== '') };
}

const count = (lines: string[], line: string): number => lines.filter((l) => l === line).length;

describe('dstreams run: a signal reaches the job once', { timeout: 60_000 }, () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const target of ['group', 'cli'] as const) {
      it(`${signal} to the ${target === 'group' ? 'process group (Ctrl-C)' : 'CLI alone'}: a listener that stays runs once; exit 0, finally once`, async () => {
        const { code, lines } = await runAndSignal('on', target, signal);
        expect(count(lines, `handled ${signal}`), lines.join('\n')).toBe(1);
        expect(count(lines, 'cleanup')).toBe(1);
        expect(code).toBe(0);
      });
    }
  }

  it("the examples' process.once('SIGINT', stop), Ctrl-C: stops gracefully, exit 0, finally once", async () => {
    const { code, lines } = await runAndSignal('once', 'group', 'SIGINT');
    expect(count(lines, 'handled SIGINT'), lines.join('\n')).toBe(1);
    expect(count(lines, 'cleanup')).toBe(1);
    expect(code).toBe(0);
  });

  for (const target of ['group', 'cli'] as const) {
    it(`a job without a listener still ends on one SIGINT to the ${target}, as Node's default: 130`, async () => {
      const { code, lines } = await runAndSignal('none', target, 'SIGINT');
      expect(lines).toEqual(['started']);
      expect(code).toBe(130);
    });
  }

  it('a job without a listener ends on one SIGTERM to the CLI: 143', async () => {
    const { code } = await runAndSignal('none', 'cli', 'SIGTERM');
    expect(code).toBe(143);
  });
});

describe('relaySignals', () => {
  const setup = (): { child: { exitCode: null; signalCode: null; kill: ReturnType<typeof vi.fn> }; reports: PassThrough; signals: EventEmitter; stop: () => void } => {
    const child = { exitCode: null, signalCode: null, kill: vi.fn(() => true) };
    const reports = new PassThrough();
    const signals = new EventEmitter();
    const stop = relaySignals(child, reports, { waitMs: 100, signals });
    return { child, reports, signals, stop };
  };
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('forwards a signal the job did not report within the wait (sent to the CLI alone)', async () => {
    const { child, signals, stop } = setup();
    signals.emit('SIGINT', 'SIGINT');
    await sleep(20);
    expect(child.kill).not.toHaveBeenCalled();
    await sleep(150);
    expect(child.kill).toHaveBeenCalledExactlyOnceWith('SIGINT');
    stop();
  });

  it('does not forward a signal the job reported, before or after the CLI got it', async () => {
    const { child, reports, signals, stop } = setup();
    signals.emit('SIGINT', 'SIGINT');
    reports.write('SIGINT\n');
    reports.write('SIGT');
    reports.write('ERM\n');
    signals.emit('SIGTERM', 'SIGTERM');
    await sleep(200);
    expect(child.kill).not.toHaveBeenCalled();
    stop();
  });

  it('a report older than the wait was another signal: the next one is forwarded', async () => {
    const { child, reports, signals, stop } = setup();
    reports.write('SIGINT\n');
    await sleep(150);
    signals.emit('SIGINT', 'SIGINT');
    await sleep(150);
    expect(child.kill).toHaveBeenCalledExactlyOnceWith('SIGINT');
    stop();
  });

  it('stops relaying once stopped: no forward, no listener left', async () => {
    const { child, reports, signals, stop } = setup();
    signals.emit('SIGINT', 'SIGINT');
    stop();
    await sleep(150);
    expect(child.kill).not.toHaveBeenCalled();
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
    expect(reports.destroyed).toBe(true);
  });
});
