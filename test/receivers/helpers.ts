// Helpers of the receiver tests: real TCP servers, temporary directories, waiting, reference counts.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { freePort } from '../helpers/ports.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReceiverInfo, StreamingContext, StreamingListener } from '../../src/index.js';
import { Receiver } from '../../src/receivers/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHAKESPEARE = path.resolve(ROOT, '../shared/data/shakespeare.txt');

/** The book's Shakespeare text as lines, or generated text when the file is absent. */
export function shakespeareLines(): string[] {
  if (existsSync(SHAKESPEARE)) {
    const lines = readFileSync(SHAKESPEARE, 'utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  }
  return generatedLines(40_000);
}

export function generatedLines(n: number, seed = 7): string[] {
  const vocab = 'the and to of i a you my that in is not it with me be his your this for but he have thou so as will'.split(' ');
  let s = seed;
  const rnd = (): number => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const words: string[] = [];
    const len = 3 + Math.floor(rnd() * 8);
    for (let j = 0; j < len; j++) words.push(rnd() < 0.85 ? vocab[Math.floor(rnd() * vocab.length)]! : `w${Math.floor(rnd() * 5000)}`);
    out.push(words.join(' '));
  }
  return out;
}

/** Words of a line as the tests' wordcount splits them. */
export const splitWords = (line: string): string[] => line.split(' ');

/** An independent wordcount: a plain loop over the lines. */
export function countWords(lines: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of lines) for (const w of splitWords(line)) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

export function sortedEntries(m: Map<string, number>): [string, number][] {
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms until it is true; throws `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function tempDir(prefix = 'dstreams-recv-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A random free port below the ephemeral range (the one helper every test uses). */
export { freePort };

/**
 * A TCP server on a fixed port the test controls: `send` writes to every connected client,
 * `close` stops it (destroying connections), `listen` starts it again on the same port.
 */
export class LineServer {
  private server: net.Server | undefined;
  readonly clients = new Set<net.Socket>();
  connections = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly port: number) {}

  static async start(port?: number): Promise<LineServer> {
    const s = new LineServer(port ?? (await freePort()));
    await s.listen();
    return s;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => {
        this.connections++;
        this.clients.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => this.clients.delete(socket));
        for (const w of this.waiters.splice(0)) w();
      });
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
      this.server = server;
    });
  }

  /** Resolves once at least `n` connections were accepted since the server was created. */
  async waitForConnections(n: number, timeoutMs = 20_000): Promise<void> {
    await waitFor(() => this.connections >= n && this.clients.size > 0, `${n} connection(s) on port ${this.port}`, timeoutMs);
  }

  /** Writes raw data to every client; resolves once it is flushed to the kernel. */
  async write(data: string | Buffer): Promise<void> {
    await Promise.all(
      [...this.clients].map(
        (c) => new Promise<void>((resolve) => (c.write(data) ? resolve() : c.once('drain', () => resolve()))),
      ),
    );
  }

  /** Sends lines (each followed by `\n`) in chunks of about 64 KiB. */
  async sendLines(lines: readonly string[]): Promise<void> {
    let chunk: string[] = [];
    let size = 0;
    for (const l of lines) {
      chunk.push(l);
      size += l.length + 1;
      if (size >= 64 * 1024) {
        await this.write(chunk.join('\n') + '\n');
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length > 0) await this.write(chunk.join('\n') + '\n');
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }
}

/** Collects every receiver event of a context. */
export function recordReceiverEvents(ssc: StreamingContext): { started: ReceiverInfo[]; errors: ReceiverInfo[]; stopped: ReceiverInfo[] } {
  const ev = { started: [] as ReceiverInfo[], errors: [] as ReceiverInfo[], stopped: [] as ReceiverInfo[] };
  const l: StreamingListener = {
    onReceiverStarted: (i) => void ev.started.push(i),
    onReceiverError: (i) => void ev.errors.push(i),
    onReceiverStopped: (i) => void ev.stopped.push(i),
  };
  ssc.addStreamingListener(l);
  return ev;
}

/** A receiver the test feeds by hand: `put` stores records as the receiver's own code would. */
export class ManualReceiver<T> extends Receiver<T> {
  onStart(): void {}
  onStop(): void {}
  put(x: T | T[]): Promise<void> {
    return this.store(x);
  }
}

/**
 * Runs test/receivers/wal-child.ts, which stores records 0..n-1 with the write-ahead log on, and
 * SIGKILLs it before any batch completed. `cleanups` gets the child's end (a test that fails first).
 */
export async function walChildKilledBeforeFirstBatch(dir: string, n: number, cleanups: Array<() => Promise<void> | void>): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/receivers/wal-child.ts'), dir, String(n), 'before-batch'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: ROOT,
  });
  const exited = new Promise((r) => child.once('exit', r));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  await waitFor(() => out.includes(`STORED ${n}`), `the child to store ${n} records`, 120_000);
  child.kill('SIGKILL');
  await exited;
}
