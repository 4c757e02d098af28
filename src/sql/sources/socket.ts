/**
 * The socket source (seed 002's wordcount, Listing 7.12): UTF-8 lines from a TCP server, one row
 * `value` per line (plus `timestamp` with includeTimestamp). As Spark's, for teaching only: it is
 * not replayable — what was received lives in memory, and a restart does not re-read it.
 *
 * When things happen: start() connects (failing the query's start if nothing listens); lines
 * are buffered as they arrive; a trigger takes every line received so far (offset = index of
 * the last line); commit() frees the lines taken. The server closing the connection ends the
 * input (no reconnect, as Spark).
 */
import { connect, type Socket } from 'node:net';
import { AnalysisException } from '../errors.js';
import { StructField, StructType, Types } from '../types.js';
import type { Row } from '../values.js';
import { registerSourceFormat, type SourceArgs } from './registry.js';
import type { Offset, ReadLimits, Source, SourceProvider } from './Source.js';

class SocketSource implements Source {
  private socket: Socket | undefined;
  private lines: Row[] = [];
  /** Offset of lines[0]. */
  private base = 0;
  private partial = '';
  private error: Error | undefined;

  constructor(
    readonly description: string,
    readonly schema: StructType,
    private readonly host: string,
    private readonly port: number,
    private readonly includeTimestamp: boolean,
    private readonly now: () => number,
  ) {}

  /** Lines received after a restart come after those a checkpoint says were taken (none are replayed). */
  start(committed: Offset | undefined): Promise<void> {
    if (typeof committed === 'number') this.base = committed + 1;
    return new Promise((resolve, reject) => {
      const s = connect({ host: this.host, port: this.port });
      s.setEncoding('utf8');
      s.once('connect', () => {
        this.socket = s;
        resolve();
      });
      s.on('error', (e) => {
        if (!this.socket) reject(new Error(`socket source: cannot connect to ${this.host}:${this.port}: ${e.message}`));
        else this.error = e;
      });
      s.on('data', (chunk: string) => {
        const text = this.partial + chunk;
        const parts = text.split('\n');
        this.partial = parts.pop()!;
        for (const p of parts) this.push(p.endsWith('\r') ? p.slice(0, -1) : p);
      });
      s.on('end', () => {
        if (this.partial !== '') this.push(this.partial);
        this.partial = '';
      });
    });
  }

  private push(line: string): void {
    this.lines.push(this.includeTimestamp ? { value: line, timestamp: new Date(this.now()) } : { value: line });
  }

  async latestOffset(_start?: Offset, limits: ReadLimits = {}): Promise<Offset | undefined> {
    if (this.error) throw new Error(`socket source ${this.host}:${this.port} failed: ${this.error.message}`);
    const last = this.base + this.lines.length - 1;
    if (limits.upTo) return limits.upTo.end as number | undefined;
    return last < 0 ? undefined : last;
  }

  async getBatch(start: Offset | undefined, end: Offset): Promise<Row[]> {
    const from = (start === undefined || start === null ? -1 : (start as number)) + 1;
    return this.lines.slice(from - this.base, (end as number) + 1 - this.base);
  }

  commit(end: Offset): void {
    const drop = (end as number) + 1 - this.base;
    if (drop > 0) {
      this.lines = this.lines.slice(drop);
      this.base += drop;
    }
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
  }
}

registerSourceFormat('socket', ({ options, clock }: SourceArgs) => {
  const host = options.host;
  const port = Number(options.port);
  if (!host) throw new AnalysisException("Set a host to read from with option('host', ...).");
  if (!Number.isInteger(port) || port <= 0) throw new AnalysisException("Set a port to read from with option('port', ...).");
  const ts = (options.includeTimestamp ?? 'false').toLowerCase() === 'true';
  const schema = new StructType([new StructField('value', Types.STRING), ...(ts ? [new StructField('timestamp', Types.TIMESTAMP)] : [])]);
  const description = `TextSocketV2[host: ${host}, port: ${port}]`;
  const provider: SourceProvider & { schema: StructType } = {
    description,
    schema,
    createSource: () => new SocketSource(description, schema, host, port, ts, () => clock.getTimeMillis()),
  };
  return provider;
});
