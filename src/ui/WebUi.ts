/**
 * The web UI of one StreamingContext (Spark's Streaming tab), its REST JSON and /metrics, on a
 * plain node:http server. An edge module: it observes the context through a listener and
 * read-only getters (graph, lastCheckpointWriteMs); the engine knows it only as an attachment.
 *
 * When things happen: constructed with the context (its listener sees every event from the
 * first); start() binds the port (127.0.0.1:4040 by default; a taken port is retried on the
 * next ones, 16 at most, as Spark does); stop() closes the server and its live connections
 * once the context has stopped — a stop() while start() is still binding waits for the bind and
 * closes what it bound, and a start() after stop() binds nothing: once stop() resolves the port
 * is free and nothing of the UI holds the event loop.
 *
 * Routes (appId is `local-<creation time>`, as Spark's local mode):
 *   /streaming/                                   the page (static/index.html, app.js, graph.js, app.css)
 *   /static/uPlot.iife.min.js, /static/uPlot.min.css   the charting library, from node_modules
 *   /api/v1/applications                          the one application (a list, as Spark's)
 *   /api/v1/applications/{appId}                  that application
 *   /api/v1/applications/{appId}/streaming/statistics | batches[?status=…&status=…]
 *        | batches/{batchTime} | batches/{batchTime}/operations[/{outputOpId}] | receivers
 *        | receivers/{streamId}                    Spark's shapes
 *   /api/v1/applications/{appId}/streaming/graph  the DStream graph with state sizes
 *   /api/v1/applications/{appId}/streaming/inputs every input stream's rates, with or without a receiver
 *   /api/v1/applications/{appId}/streaming/events server-sent events: every batch change
 *   /metrics                                      Prometheus text
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ContextAttachment } from '../context/attachments.js';
import type { WebUiOptions } from '../context/options.js';
import type { StreamingContext } from '../context/StreamingContext.js';
import { describeGraph } from './graph.js';
import { JobProgress } from './JobProgress.js';
import { metricsText } from './metrics.js';
import * as rest from './rest.js';

const PORT_RETRIES = 16;
/** How long a stopping UI lets its event streams flush their last events. */
const STREAM_FLUSH_MS = 1000;

const UI_OPTIONS = new Set(['port', 'host', 'retainedBatches']);

/** `ui`'s options, checked when the context is made (as its own options are): a misspelt one is not silently ignored. */
function checkUiOptions(options: unknown): asserts options is WebUiOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`ui must be true or an object { port?, host?, retainedBatches? }, got ${JSON.stringify(options) ?? typeof options}`);
  }
  const unknown = Object.keys(options).filter((k) => !UI_OPTIONS.has(k));
  if (unknown.length > 0) throw new TypeError(`unknown ui option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: ui takes port, host and retainedBatches`);
  const { host } = options as WebUiOptions;
  if (host !== undefined && (typeof host !== 'string' || host === '')) throw new TypeError(`ui host must be a non-empty string, got ${JSON.stringify(host)}`);
}
const require = createRequire(import.meta.url);

interface StaticFile {
  type: string;
  path: () => string;
}

const STATIC: Record<string, StaticFile> = {
  '/streaming/': { type: 'text/html; charset=utf-8', path: () => fileURLToPath(new URL('./static/index.html', import.meta.url)) },
  '/static/app.js': { type: 'text/javascript; charset=utf-8', path: () => fileURLToPath(new URL('./static/app.js', import.meta.url)) },
  '/static/graph.js': { type: 'text/javascript; charset=utf-8', path: () => fileURLToPath(new URL('./static/graph.js', import.meta.url)) },
  '/static/app.css': { type: 'text/css; charset=utf-8', path: () => fileURLToPath(new URL('./static/app.css', import.meta.url)) },
  '/static/uPlot.iife.min.js': { type: 'text/javascript; charset=utf-8', path: () => require.resolve('uplot/dist/uPlot.iife.min.js') },
  '/static/uPlot.min.css': { type: 'text/css; charset=utf-8', path: () => require.resolve('uplot/dist/uPlot.min.css') },
};

/** The last application id's millisecond, in this process. */
let lastAppMs = 0;

export class WebUi implements ContextAttachment {
  readonly progress: JobProgress;
  readonly appId: string;
  private readonly host: string;
  private readonly port: number;
  private server: http.Server | undefined;
  /** start()'s binding, while it runs (stop() waits for it). */
  private binding: Promise<void> | undefined;
  private stopped = false;
  private url: string | undefined;
  private readonly createdAt = Date.now();
  private endTime: number | undefined;
  private readonly files = new Map<string, Buffer>();
  /** The open event streams (pages following the job): ended, not cut, when the UI stops. */
  private readonly streams = new Set<http.ServerResponse>();

  constructor(
    private readonly ssc: StreamingContext,
    options: WebUiOptions = {},
  ) {
    checkUiOptions(options);
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 4040;
    if (!Number.isInteger(this.port) || this.port < 0 || this.port > 65535) {
      throw new RangeError(`ui port must be an integer from 0 to 65535, got ${String(options.port)}`);
    }
    this.progress = new JobProgress(ssc, options.retainedBatches);
    // Spark's local-<ms>; two UIs made in the same millisecond still get distinct ids.
    lastAppMs = Math.max(lastAppMs + 1, this.createdAt);
    this.appId = `local-${lastAppMs}`;
    ssc.addStreamingListener(this.progress);
  }

  get webUrl(): string | undefined {
    return this.url;
  }

  start(): Promise<void> {
    const binding = this.bind().finally(() => {
      if (this.binding === binding) this.binding = undefined;
    });
    this.binding = binding;
    return binding;
  }

  private async bind(): Promise<void> {
    if (this.stopped || this.server) return;
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 5_000;
    let port = this.port;
    for (let attempt = 0; ; attempt++) {
      try {
        await listen(server, port, this.host);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' && this.port !== 0 && attempt < PORT_RETRIES && port < 65535) {
          port++;
          continue;
        }
        const what = code === 'EADDRINUSE' ? `ports ${this.port}–${port} are in use` : (e as Error).message;
        throw new Error(`web UI: cannot listen on ${this.host} (${what}); choose another with ui: { port }`);
      }
    }
    this.server = server;
    const bound = (server.address() as AddressInfo).port;
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.url = `http://${host}:${bound}/`;
  }

  async stop(): Promise<void> {
    this.endTime = Date.now();
    this.progress.stopped = true;
    this.stopped = true;
    // Still binding: the server is closed once it listens (a failed bind holds nothing).
    await this.binding?.catch(() => undefined);
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    // The last events written — the batch whose failure stopped the context, say — reach the open
    // pages before the connections go: each stream says `end` and is ended, and is given a moment
    // to flush (a client that stopped reading is not waited for).
    const ended = [...this.streams].map((res) => {
      const finished = new Promise<void>((resolve) => res.once('close', () => resolve()));
      res.end('event: end\ndata: {}\n\n');
      return finished;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(ended), new Promise((resolve) => (timer = setTimeout(resolve, STREAM_FLUSH_MS)))]);
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        return json(res, { error: `method ${req.method ?? ''} not allowed: the web UI and its REST API answer GET and HEAD` }, 405);
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname;
      if (path === '/' || path === '/streaming') return redirect(res, '/streaming/');
      const file = STATIC[path];
      if (file) return send(res, 200, file.type, this.file(path, file));
      if (path === '/metrics') {
        return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', metricsText(this.progress, this.ssc.graph, this.ssc.appName));
      }
      if (path === '/api/v1/applications' || path === '/api/v1/applications/') return json(res, rest.applications(this.app));
      // One application, as Spark's /applications/{appId}: the list's one entry.
      const one = /^\/api\/v1\/applications\/([^/]+)\/?$/.exec(path);
      if (one) {
        if (decodeSegment(one[1]!) !== this.appId) return json(res, { error: `no such application: ${one[1]}; this one is ${this.appId}` }, 404);
        return json(res, rest.applications(this.app)[0]);
      }
      const m = /^\/api\/v1\/applications\/([^/]+)\/streaming\/(.*?)\/?$/.exec(path);
      if (!m) return json(res, { error: `no such page: ${path}` }, 404);
      // A malformed percent-encoding (%E0%A4%A) names no application: 404, as any other unknown id.
      if (decodeSegment(m[1]!) !== this.appId) return json(res, { error: `no such application: ${m[1]}; this one is ${this.appId}` }, 404);
      return this.streaming(m[2]!, url, req, res);
    } catch (e) {
      send(res, 500, 'text/plain', `${e instanceof Error ? e.message : String(e)}\n`);
    }
  }

  private streaming(route: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
    const p = this.progress;
    if (route === 'statistics') return json(res, rest.statistics(p));
    if (route === 'batches') {
      const statuses = rest.batchStatuses(url.searchParams.getAll('status'));
      if (typeof statuses === 'string') return json(res, { error: statuses }, 400);
      return json(res, rest.batches(p, statuses));
    }
    if (route === 'receivers') return json(res, rest.receivers(p));
    if (route === 'inputs') return json(res, this.inputs());
    if (route === 'graph') return json(res, { batchDuration: p.batchDuration, retainedBatches: p.retainedBatches, nodes: describeGraph(this.ssc.graph) });
    if (route === 'events') return this.events(req, res);
    let m = /^batches\/(-?\d+)(\/operations(?:\/(\d+))?)?$/.exec(route);
    if (m) {
      const b = rest.findBatch(p, Number(m[1]));
      if (!b) return json(res, { error: `no batch ${m[1]} (the UI keeps the last ${p.retainedBatches} completed batches)` }, 404);
      if (m[3] !== undefined) {
        const op = rest.oneOperation(b, Number(m[3]));
        return op ? json(res, op) : json(res, { error: `unknown output operation: ${m[3]}` }, 404);
      }
      return json(res, m[2] ? rest.operations(b) : rest.batchDetails(p, b, (id) => this.streamName(id)));
    }
    m = /^receivers\/(\d+)$/.exec(route);
    if (m) {
      const r = p.receivers.get(Number(m[1]));
      if (!r) return json(res, { error: `no receiver for stream ${m[1]}` }, 404);
      return json(res, rest.receiver(p, r));
    }
    return json(res, { error: `no such page: streaming/${route}` }, 404);
  }

  /** Server-sent events: `batch` (a batch's row; once it completed, the statistics and every input's rate) and `receiver`. */
  private events(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    // HEAD: the headers alone; a stream left open and subscribed would never answer.
    if (req.method === 'HEAD') return void res.end();
    res.write(`retry: 2000\n\n`);
    this.streams.add(res);
    const p = this.progress;
    const unsubscribe = p.subscribe((what, data) => {
      // A client that stopped reading is let go rather than buffered without bound.
      if (res.writableLength > 1 << 20) {
        res.destroy();
        return;
      }
      let payload: unknown;
      if (what === 'batch') {
        const b = data as Parameters<typeof rest.batch>[1];
        const done = b.status === 'COMPLETED';
        payload = {
          batch: rest.batch(p, b),
          ...(done ? { statistics: rest.statistics(p), kafkaLag: [...p.kafkaLag.values()], inputs: this.inputs(false) } : {}),
        };
      } else {
        payload = rest.receiver(p, data as Parameters<typeof rest.receiver>[1]);
      }
      res.write(`event: ${what}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    req.on('close', () => {
      unsubscribe();
      this.streams.delete(res);
    });
  }

  private get app(): rest.AppDescription {
    return { id: this.appId, name: this.ssc.appName, startTime: this.progress.startTime ?? this.createdAt, endTime: this.endTime };
  }

  /** Every input stream (receivers' and direct ones') with its rates: Spark's page lists both. */
  private inputs(history = true): rest.InputRates[] {
    return rest.inputs(this.progress, this.ssc.graph.inputs.map((s) => s.id), (id) => this.streamName(id), history);
  }

  private streamName(id: number): string {
    const s = this.ssc.graph.streams[id] as unknown as { name?: unknown; topics?: unknown; kind: string } | undefined;
    if (!s) return `stream ${id}`;
    if (typeof s.name === 'string') return s.name;
    if (Array.isArray(s.topics)) return `${s.kind} [${s.topics.join(', ')}]`;
    return `${s.kind}-${id}`;
  }

  private file(path: string, f: StaticFile): Buffer {
    let data = this.files.get(path);
    if (!data) {
      data = readFileSync(f.path());
      this.files.set(path, data);
    }
    return data;
  }
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache' });
  res.end(body);
}

function json(res: http.ServerResponse, value: unknown, status = 200): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value, null, 2));
}

function redirect(res: http.ServerResponse, to: string): void {
  res.writeHead(302, { location: to });
  res.end();
}

/** A path segment, percent-decoded; undefined when its percent-encoding is malformed. */
function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
