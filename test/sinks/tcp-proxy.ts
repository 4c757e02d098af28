/**
 * A small TCP proxy on 127.0.0.1 in front of the real PostgreSQL, so that a test can make the
 * server unreachable for the sink (refuse and reset connections) without touching the server
 * that other tests use.
 */
import net from 'node:net';
import { freePort } from '../helpers/ports.js';

export class TcpProxy {
  port = 0;
  /** Bytes relayed from clients to the server since start. */
  clientBytes = 0;
  private server: net.Server | undefined;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private cut: { afterBytes: number; downMs: number; resolve: () => void } | undefined;
  private commitTrap: { resolve: () => void } | undefined;
  private upTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on `port`, by default a free one below the ephemeral range. */
  async start(port?: number): Promise<this> {
    port ??= await freePort();
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this;
  }

  get isUp(): boolean {
    return this.server !== undefined;
  }

  /** Resets every relayed connection and stops listening: new connections get ECONNREFUSED. */
  async down(): Promise<void> {
    this.resetAll();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    if (!this.server) await this.start(this.port);
  }

  /** Goes down for `ms`, then comes back up. Resolves when it is down. */
  async outage(ms: number): Promise<void> {
    await this.down();
    clearTimeout(this.upTimer);
    this.upTimer = setTimeout(() => void this.up(), ms);
  }

  /**
   * Once `bytes` more bytes have been relayed from clients to the server, reset everything and
   * stay down for `downMs`. Resolves when the cut has happened.
   */
  cutAfter(bytes: number, downMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.cut = { afterBytes: this.clientBytes + bytes, downMs, resolve };
    });
  }

  /**
   * The next time a client sends COMMIT: relay it, wait for the server's reply, and reset the
   * connection instead of relaying the reply. The transaction is committed, the client never
   * learns it. Resolves when this has happened.
   */
  loseNextCommitReply(): Promise<void> {
    return new Promise((resolve) => {
      this.commitTrap = { resolve };
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.upTimer);
    await this.down();
  }

  private resetAll(): void {
    for (const { client, upstream } of this.pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, this.targetHost);
    const pair = { client, upstream };
    this.pairs.add(pair);
    let swallowReply = false;
    const drop = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);

    client.on('data', (chunk: Buffer) => {
      this.clientBytes += chunk.length;
      if (this.commitTrap && chunk.includes('COMMIT\0')) swallowReply = true;
      upstream.write(chunk);
      const cut = this.cut;
      if (cut && this.clientBytes >= cut.afterBytes) {
        this.cut = undefined;
        void this.outage(cut.downMs).then(cut.resolve);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (swallowReply) {
        const trap = this.commitTrap;
        this.commitTrap = undefined;
        swallowReply = false;
        this.pairs.delete(pair);
        client.resetAndDestroy();
        upstream.destroy();
        trap?.resolve();
        return;
      }
      client.write(chunk);
    });
  }
}
