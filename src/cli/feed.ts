/**
 * `dstreams feed`: sends the lines of a file to a target, paced or at full speed.
 *
 * Extension point — other targets (e.g. `--kafka-topic T`): write a FeedTargetProvider (its
 * options and a factory from the parsed options to a FeedTarget, whose `run` gets the lines and
 * the pacing and uses `sendLines` to write them) and add it to `feedTargetProviders` in program.ts. The
 * feed command adds every provider's options and runs every target the options name.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { InvalidArgumentError, type Command } from 'commander';
import { sleep } from '../util/sleep.js';
import { UsageError } from '../util/usage.js';

export interface Pacing {
  /** Lines per second; undefined: as fast as the target takes them. */
  linesPerSecond: number | undefined;
  /** Start over at the end of the file, forever. */
  loop: boolean;
}

/** Where fed lines go. */
export interface FeedTarget {
  /** One line for the log, e.g. "TCP port 9999". */
  describe(): string;
  /** Sends `lines` as `pacing` says; resolves when the target is done (a server: when it closes). */
  run(lines: readonly string[], pacing: Pacing, log: (msg: string) => void): Promise<void>;
  /** Stops sending and releases resources. */
  close(): Promise<void>;
}

export interface FeedTargetProvider {
  /** Adds this target's options to the feed command. */
  addOptions(cmd: Command): void;
  /** The target the parsed options ask for, or undefined when they do not name this target. */
  create(opts: Record<string, unknown>): FeedTarget | undefined;
}

/** Reads a text file into lines (`\n` or `\r\n`; no empty last line after a final newline). */
export function readLines(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
  }
  return lines;
}


/**
 * Sends `lines` through `write` (which resolves when the target can take more: backpressure),
 * `linesPerSecond` at a time or, without it, in chunks of about 64 KiB as fast as `write`
 * resolves. A write that blocks delays what follows (like `echo; sleep` piped into nc): the
 * rate is never exceeded to catch up. Returns the number of lines sent.
 */
export async function sendLines(
  lines: readonly string[],
  pacing: Pacing,
  write: (batch: readonly string[]) => Promise<void>,
  isStopped: () => boolean,
): Promise<number> {
  let sent = 0;
  if (lines.length === 0) return 0;
  const rate = pacing.linesPerSecond;
  do {
    if (rate === undefined) {
      let i = 0;
      while (i < lines.length && !isStopped()) {
        let bytes = 0;
        let j = i;
        while (j < lines.length && bytes < 64 * 1024) bytes += lines[j++]!.length + 1;
        await write(lines.slice(i, j));
        sent += j - i;
        i = j;
      }
    } else {
      // Ticks of at least 10 ms; each sends the lines due since the last one.
      const tick = Math.max(10, 1000 / rate);
      let i = 0;
      let credit = 1; // the first line goes at once, as with `echo; sleep`
      let last = performance.now();
      while (i < lines.length && !isStopped()) {
        const now = performance.now();
        credit += ((now - last) * rate) / 1000;
        last = now;
        const n = Math.min(Math.floor(credit), lines.length - i);
        if (n > 0) {
          credit -= n;
          await write(lines.slice(i, i + n));
          sent += n;
          i += n;
          // Time spent blocked on the target earns no credit.
          const after = performance.now();
          if (after - last > tick) last = after;
        }
        if (credit > rate) credit = rate;
        await sleep(tick);
      }
    }
  } while (pacing.loop && !isStopped());
  return sent;
}

/** Writes lines to a socket, resolving once the socket can take more (or rejecting when it is gone). */
function socketWriter(socket: net.Socket): (batch: readonly string[]) => Promise<void> {
  return (batch) =>
    new Promise<void>((resolve, reject) => {
      if (socket.destroyed || !socket.writable) {
        reject(new Error('connection closed'));
        return;
      }
      const ok = socket.write(batch.join('\n') + '\n');
      if (ok) {
        resolve();
        return;
      }
      const onDrain = (): void => {
        socket.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        socket.off('drain', onDrain);
        reject(new Error('connection closed'));
      };
      socket.once('drain', onDrain);
      socket.once('close', onClose);
    });
}

export interface TcpFeedOptions {
  port: number;
  /** Address to listen on (default: every interface, as `nc -lk`). */
  host?: string;
  /** End each connection once the file was sent, and exit once every client got it. */
  exitWhenDone?: boolean;
}

/**
 * A TCP server that sends the file, line by line, to every client that connects — each client
 * from the first line, at the given pace. Like `while read line; do echo $line; sleep …; done < F
 * | nc -lk 9999`, except that each client gets the whole file. Without `exitWhenDone` a
 * connection stays open after the last line (as nc does).
 */
export class TcpFeedTarget implements FeedTarget {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private stopped = false;
  private clients = 0;
  private done: (() => void) | undefined;
  /** The port actually listened on (useful with port 0). */
  port = 0;
  /** Resolves once the server listens. */
  readonly listening: Promise<void>;
  private markListening!: () => void;

  constructor(private readonly opts: TcpFeedOptions) {
    this.listening = new Promise((r) => (this.markListening = r));
  }

  describe(): string {
    return `TCP port ${this.opts.port}${this.opts.host ? ` on ${this.opts.host}` : ''}`;
  }

  run(lines: readonly string[], pacing: Pacing, log: (msg: string) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.done = resolve;
      let active = 0;
      const server = net.createServer((socket) => {
        const id = ++this.clients;
        active++;
        this.sockets.add(socket);
        socket.setNoDelay(true);
        socket.on('error', () => undefined);
        log(`client ${id} connected from ${socket.remoteAddress}:${socket.remotePort}`);
        socket.on('close', () => {
          this.sockets.delete(socket);
          active--;
        });
        const write = socketWriter(socket);
        sendLines(lines, pacing, write, () => this.stopped || socket.destroyed).then(
          (n) => {
            log(`client ${id}: sent ${n} lines`);
            if (this.opts.exitWhenDone) {
              socket.end();
              socket.once('close', () => {
                if (active === 0) void this.close();
              });
            }
          },
          () => log(`client ${id} went away`),
        );
      });
      this.server = server;
      server.on('error', (e: NodeJS.ErrnoException) => {
        const where = `port ${this.opts.port}${this.opts.host ? ` on ${this.opts.host}` : ''}`;
        if (e.code === 'EADDRINUSE') reject(new UsageError(`${where} is in use: choose another --port`));
        else if (e.code === 'EACCES') reject(new UsageError(`no permission to listen on ${where}: choose a --port above 1023`));
        else reject(e);
      });
      const onListening = (): void => {
        this.port = (server.address() as net.AddressInfo).port;
        log(`listening on port ${this.port}${this.opts.host ? ` on ${this.opts.host}` : ''}`);
        this.markListening();
      };
      if (this.opts.host) server.listen(this.opts.port, this.opts.host, onListening);
      else server.listen(this.opts.port, onListening);
    });
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.done?.();
  }
}

/** A target's option of a count (partitions, shards): a whole number from 1. */
export function positiveInt(v: string): number {
  const n = Number(v);
  // InvalidArgumentError: commander names the option and its value, and the CLI exits 2.
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError('must be a TCP port (0-65535)');
  return n;
}

export const tcpTargetProvider: FeedTargetProvider = {
  addOptions(cmd) {
    cmd
      .option('--port <port>', 'serve the lines on this TCP port, to every client that connects', parsePort)
      .option('--host <address>', 'address to listen on (default: all interfaces, as nc -lk)')
      .option('--exit-when-done', 'end each connection after the last line and exit once every client got the file');
  },
  create(opts) {
    if (opts.port === undefined) return undefined;
    return new TcpFeedTarget({
      port: opts.port as number,
      ...(opts.host !== undefined ? { host: opts.host as string } : {}),
      exitWhenDone: opts.exitWhenDone === true,
    });
  },
};

