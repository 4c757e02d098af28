/**
 * The sink's connection pool, with what `close()` needs to end writes in progress at once rather
 * than wait for them: a write waiting on a lock another session holds, or on a server that does
 * not answer, would otherwise hold `pool.end()` (and a job's stop) for as long as it waits.
 *
 * On `end()`, each connection in use has its running statement cancelled (a CancelRequest on a
 * connection of its own, so the server stops waiting on a lock) and its socket destroyed; each
 * connection still being made is destroyed. The statement in flight fails and the open
 * transaction rolls back — COMMIT is only sent once every statement of a batch succeeded — so
 * nothing is committed half; the batch is written when it is run again.
 */
import { connect } from 'node:net';
import pg from 'pg';
import type { PoolConfig } from 'pg';

/** What of node-postgres' Client this file reaches into (pg-pool itself destroys `connection.stream`). */
interface ClientInternals {
  connection?: { stream?: { destroy(): void; once(event: 'close', f: () => void): unknown } };
  processID?: number | null;
  secretKey?: number | null;
  host?: string;
  port?: number;
}

/** The CancelRequest message's code (PostgreSQL protocol). */
const CANCEL_REQUEST_CODE = 80877102;
/** How long a CancelRequest may take before its connection is given up. */
const CANCEL_TIMEOUT_MS = 2_000;

export class SinkConnections {
  readonly pool: pg.Pool;
  /** Every client the pool made whose socket is not closed yet. */
  private readonly live = new Set<pg.Client>();
  /** Checked out now. */
  private readonly busy = new Set<pg.Client>();
  /** Checked out at least once (so connected): a live client never acquired is still connecting. */
  private readonly acquired = new WeakSet<pg.Client>();

  constructor(config: PoolConfig) {
    const live = this.live;
    class TrackedClient extends pg.Client {
      constructor(c?: pg.ClientConfig) {
        super(c);
        live.add(this);
        internals(this).connection?.stream?.once('close', () => live.delete(this));
      }
    }
    this.pool = new pg.Pool({ ...config, Client: TrackedClient });
    this.pool.on('acquire', (c) => {
      this.busy.add(c as pg.Client);
      this.acquired.add(c as pg.Client);
    });
    this.pool.on('release', (_err, c) => this.busy.delete(c as pg.Client));
  }

  /** Ends the pool: idle clients close, clients in use or connecting are cut off (see the top of this file). */
  async end(): Promise<void> {
    const ending = this.pool.end();
    for (const c of this.live) {
      if (this.busy.has(c)) {
        cancelStatement(c);
        destroy(c);
      } else if (!this.acquired.has(c)) {
        destroy(c);
      }
    }
    await ending;
  }
}

function internals(c: pg.Client): ClientInternals {
  return c as unknown as ClientInternals;
}

function destroy(c: pg.Client): void {
  internals(c).connection?.stream?.destroy();
}

/**
 * Best effort: asks the server to cancel whatever the client's backend runs (protocol
 * CancelRequest: no authentication, a connection of its own). Ignored by an idle backend.
 */
function cancelStatement(c: pg.Client): void {
  const { processID, secretKey, host, port = 5432 } = internals(c);
  if (processID == null || secretKey == null) return;
  const request = Buffer.alloc(16);
  request.writeInt32BE(16, 0);
  request.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  request.writeInt32BE(processID, 8);
  request.writeInt32BE(secretKey, 12);
  const socket = host?.startsWith('/') ? connect(`${host}/.s.PGSQL.${port}`) : connect(port, host ?? 'localhost');
  socket.on('error', () => {}); // the server unreachable: nothing runs there to cancel
  socket.setTimeout(CANCEL_TIMEOUT_MS, () => socket.destroy());
  socket.once('connect', () => socket.end(request));
}
