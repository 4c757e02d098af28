// The dstreams CLI: `feed` serves a file line by line to every client, paced or at full speed;
// `run` runs an example with tsx.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sendLines, TcpFeedTarget } from '../../src/cli/feed.js';
import { freePort, LineServer, ROOT, tempDir, waitFor } from './helpers.js';

const BIN = path.join(ROOT, 'src/cli/bin.mjs');
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c();
});

function run(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const exit = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { child, out: () => out, err: () => err, exit };
}

/**
 * Connects and collects what the server sends until it closes (or `until` says stop). The feeder
 * is a fresh node process: on a machine busy with the rest of the suite it may take many seconds
 * to listen, so refused connections are retried for up to 45 s (inside the 60 s test timeout).
 */
function client(port: number, until?: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const attempt = (n: number): void => {
      const s = net.connect(port, '127.0.0.1');
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        text += d;
        if (until?.(text)) {
          s.destroy();
          resolve(text);
        }
      });
      s.on('end', () => resolve(text));
      s.on('error', (e) => (n > 0 && (e as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? setTimeout(() => attempt(n - 1), 50) : reject(e)));
    };
    attempt(900);
  });
}

describe('dstreams feed', () => {
  it('sends the whole file to every client that connects, each from its first line', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const file = path.join(dir, 'lines.txt');
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ünïcode`);
    writeFileSync(file, lines.join('\r\n') + '\r\n');
    const port = await freePort();
    const feeder = run(['feed', '--file', file, '--port', String(port), '--host', '127.0.0.1', '--exit-when-done']);
    // Both connect at once, once it listens: it exits as soon as no client is left, so a client
    // still retrying when the other got the whole file would find nobody (a CI failure, Dec 2).
    await waitFor(() => feeder.err().includes('listening on port') || feeder.child.exitCode !== null, 'the feeder to listen', 45_000);
    expect(feeder.err()).toContain(`listening on port ${port} on 127.0.0.1`);
    const [a, b] = await Promise.all([client(port), client(port)]);
    expect(a).toBe(lines.join('\n') + '\n');
    expect(b).toBe(a);
    expect(await feeder.exit).toBe(0);
    expect(feeder.err()).toContain('sent 20000 lines');
  });

  it('paces with --lines-per-second and loops with --loop', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const file = path.join(dir, 'abc.txt');
    writeFileSync(file, 'a\nb\nc\n');
    const port = await freePort();
    run(['feed', '--file', file, '--port', String(port), '--host', '127.0.0.1', '--lines-per-second', '40', '--loop', '--quiet']);
    const t0 = performance.now();
    const text = await client(port, (t) => t.split('\n').length > 20);
    const took = performance.now() - t0;
    expect(text.startsWith('a\nb\nc\na\nb\nc\n')).toBe(true);
    // 20 lines at 40 lines/s: about half a second (the connection attempt adds a little).
    expect(took).toBeGreaterThan(350);
  });

  it('explains what is missing', async () => {
    const r = run(['feed', '--file', '/nonexistent/file.txt', '--port', '9']);
    expect(await r.exit).not.toBe(0);
    expect(r.err()).toContain('no such file');
    const r2 = run(['feed', '--file', BIN]);
    expect(await r2.exit).not.toBe(0);
    expect(r2.err()).toContain('--port');
  });

  it('sendLines waits for a slow target instead of queueing (backpressure) and never exceeds the rate', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => String(i));
    const writes: number[] = [];
    let sent = 0;
    const t0 = performance.now();
    await sendLines(lines, { linesPerSecond: 500, loop: false }, async (batch) => {
      writes.push(performance.now() - t0);
      sent += batch.length;
      await new Promise((r) => setTimeout(r, 20));
    }, () => false);
    expect(sent).toBe(50);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95); // 50 lines at 500/s
  });

  it('TcpFeedTarget serves the lines in-process too', async () => {
    const target = new TcpFeedTarget({ port: await freePort(), host: '127.0.0.1', exitWhenDone: true });
    const done = target.run(['x', 'y'], { linesPerSecond: undefined, loop: false }, () => undefined);
    await target.listening;
    expect(await client(target.port)).toBe('x\ny\n');
    await done;
  });
});

describe('dstreams run', () => {
  it('runs an example with its arguments: the netcat wordcount against a server', async () => {
    const server = await LineServer.start();
    cleanups.push(() => server.close());
    const r = run(['run', 'network-wordcount', '127.0.0.1', String(server.port)]);
    await server.waitForConnections(1, 30_000);
    await server.sendLines(['hello world', 'hello dstreams']);
    await waitFor(() => r.out().includes("('hello', 2)"), 'the wordcount output', 30_000);
    expect(r.out()).toMatch(/Time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    r.child.kill('SIGINT');
    expect(await r.exit).toBe(0);
  });

  it('lists the examples when the name is unknown', async () => {
    const r = run(['run', 'no-such-example']);
    expect(await r.exit).not.toBe(0);
    expect(r.err()).toContain('network-wordcount');
    expect(r.err()).toContain('shakespeare-wordcount');
  });
});
