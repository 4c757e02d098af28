/**
 * The ceiling of bench/latency.ts's job on this machine, without the engine: what a hand-written
 * program doing the same work reaches — on the one thread the engine uses today, and with the
 * state partitioned over worker threads by key, the design left for issue 15's latency goal
 * (p99 ≤ 100 ms at 1 M records/s, mapWithState over 100 k keys, a checkpoint every batch).
 * Prints figures and ratios, never fails.
 *
 * Run: npx tsx bench/latency-ceiling.ts [rate=1000000] [seconds=8] [keys=100000] [batchMs=100] [threads=1,2] [rounds=2]
 *
 * The input is bench/latency.ts's: a paced feeder process writing `k<n>` lines (n uniform over
 * `keys`) to a socket. Each batch interval the received bytes up to the last newline become a
 * batch; batches run one at a time, in order, as the engine's jobs do. The work of a batch:
 *   - 1 thread: decode and split the lines, count each key in one Map (the state: all `keys`
 *     from the start), keep each record's new count (mapWithState's mapped value), collect the
 *     keys the batch changed, encode them (JSON, the engine's delta-log entry) and queue a
 *     LevelDB write of it (one write in flight, fsynced; the deltas queued meanwhile go together
 *     next: the engine's group commit). A batch completes when its delta is queued.
 *   - N threads: the main thread only receives, cuts the batch's bytes at line boundaries into N
 *     slices, transfers them (no copy, no strings), and writes the deltas. Thread i decodes slice
 *     i, files each line under the thread that owns its key (a hash of the key, mod N), keeps its
 *     own and sends each other thread its lines as one string, then applies, in slice order
 *     (a key's records stay in arrival order), the lines it owns, as above on its part of the
 *     state, and sends back its delta. The batch completes when all N deltas are queued.
 * The total delay of a batch is its completion time minus its batch time (the listener's
 * totalDelay in bench/latency.ts); the batches of the first second are left out, as there. Each
 * configuration runs in a process of its own, rounds alternating their order.
 *
 * What this leaves out of the engine's work (so the engine can only be slower): the leaves and
 * versions of a state a failed batch can roll back, timeouts, the remembered RDDs, the snapshot
 * merges, listeners. What the N-thread design would need beyond this (docs/jobs.md): the job's
 * chain before mapWithState run on the threads (the keys are its output, so the pairs, not the
 * lines, would cross between threads), the mapped stream's RDD living on the threads, recovery
 * handing each thread its partitions.
 *
 * Findings (Dec 5, midday, quiet 2-core VM): at 1 M records/s the one thread took 1.04-1.35 us a
 * record and p99 180-598 ms in six runs (p50 94-310 ms): the loop alone is more than one core's
 * work here, as the engine's (bench/latency.ts, same hour: 1.24-1.43 us, p99 532-1,279 ms). Two
 * threads: p99 108, 186, 806 ms (1.19-1.64 us a record), and once 1.8 s behind a slow fsync (30
 * deltas queued). Near one batch, not reliably under it, with the feeder on the same two cores.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Level } from 'level';
import { startPacedFeeder } from './input.js';

const rate = Number(process.argv[2] ?? 1_000_000);
const seconds = Number(process.argv[3] ?? 8);
const keys = Number(process.argv[4] ?? 100_000);
const batchMs = Number(process.argv[5] ?? 100);
const threadCounts = (process.argv[6] ?? '1,2').split(',').map(Number);
const rounds = Number(process.argv[7] ?? 2);

/** FNV-1a over the key's UTF-16 units: which thread owns a key. The same text in both places. */
const HASH = `const hash = (s) => { let h = 0x811c9dc5; for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619); return h >>> 0; };`;

/** Applies a batch's lines (in order) to `state`; returns how many records and the delta's JSON. */
const APPLY = `
const apply = (state, parts) => {
  const changed = new Map();
  let records = 0;
  for (const lines of parts) {
    const mapped = new Array(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const k = lines[i];
      const n = (state.get(k) ?? 0) + 1;
      state.set(k, n);
      changed.set(k, n);
      mapped[i] = n;
    }
    records += mapped.length;
  }
  const flat = [];
  for (const [k, v] of changed) flat.push(k, v);
  return { records, delta: JSON.stringify(flat) };
};
const splitLines = (text) => { const lines = text.split('\\n'); if (lines[lines.length - 1] === '') lines.pop(); return lines; };
`;

/** A thread owning the keys that hash to `index` (mod `threads`). */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { index, threads, keys } = workerData;
${HASH}
${APPLY}
const state = new Map();
for (let i = 0; i < keys; i++) { const k = 'k' + i; if (hash(k) % threads === index) state.set(k, 0); }
const decoder = new TextDecoder();
let peers = [];
const pending = new Map();
const arrive = (batch, from, lines) => {
  let parts = pending.get(batch);
  if (!parts) pending.set(batch, (parts = { lines: new Array(threads), got: 0 }));
  parts.lines[from] = lines;
  if (++parts.got < threads) return;
  pending.delete(batch);
  parentPort.postMessage({ batch, ...apply(state, parts.lines) });
};
parentPort.on('message', (m) => {
  if (m.peers) {
    peers = m.peers;
    for (const p of peers) if (p) p.on('message', (x) => arrive(x.batch, x.from, x.text === '' ? [] : x.text.split('\\n')));
    parentPort.postMessage({ ready: true });
    return;
  }
  const lines = splitLines(decoder.decode(new Uint8Array(m.bytes)));
  const buckets = Array.from({ length: threads }, () => []);
  for (const k of lines) buckets[hash(k) % threads].push(k);
  for (let j = 0; j < threads; j++) if (j !== index) peers[j].postMessage({ batch: m.batch, from: index, text: buckets[j].join('\\n') });
  arrive(m.batch, index, buckets[index]);
});
`;

// The one-thread path runs the same text as the threads (no engine code on either side).
const { apply, splitLines } = new Function(`${APPLY}; return { apply, splitLines };`)() as {
  apply: (state: Map<string, number>, parts: string[][]) => { records: number; delta: string };
  splitLines: (text: string) => string[];
};

interface Figures {
  threads: number;
  p50: number;
  p99: number;
  max: number;
  batches: number;
  received: number;
  sent: number;
  cpuSeconds: number;
  /** The most deltas waiting for the write in flight. */
  maxQueued: number;
}

/** Group commit: one fsynced write in flight; what is queued meanwhile is written together next. */
class GroupWriter {
  private queued: string[] = [];
  private writing = false;
  private seq = 0;
  maxQueued = 0;
  constructor(private readonly db: Level<string, string>) {}
  add(deltas: string[]): void {
    this.queued.push(...deltas);
    this.maxQueued = Math.max(this.maxQueued, this.queued.length);
    if (!this.writing) void this.write();
  }
  private async write(): Promise<void> {
    this.writing = true;
    while (this.queued.length > 0) {
      const group = this.queued;
      this.queued = [];
      await this.db.batch(
        group.map((value) => ({ type: 'put' as const, key: `delta/${String(this.seq++).padStart(10, '0')}`, value })),
        { sync: true },
      );
    }
    this.writing = false;
  }
}

async function child(threads: number): Promise<Figures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dstreams-ceiling-'));
  const db = new Level<string, string>(dir);
  await db.open();
  const writer = new GroupWriter(db);

  const workers: Worker[] = [];
  const state = new Map<string, number>();
  if (threads === 1) for (let i = 0; i < keys; i++) state.set(`k${i}`, 0);
  else {
    for (let i = 0; i < threads; i++) workers.push(new Worker(WORKER, { eval: true, workerData: { index: i, threads, keys } }));
    const ports = workers.map(() => new Array<MessagePort | undefined>(threads).fill(undefined));
    for (let i = 0; i < threads; i++)
      for (let j = i + 1; j < threads; j++) {
        const { port1, port2 } = new MessageChannel();
        ports[i]![j] = port1;
        ports[j]![i] = port2;
      }
    await Promise.all(
      workers.map((w, i) => {
        const mine = ports[i]!;
        w.postMessage({ peers: mine }, mine.filter((p): p is MessagePort => p !== undefined));
        return new Promise((r) => w.once('message', r));
      }),
    );
  }

  const feeder = await startPacedFeeder(rate, seconds, keys);
  const sock = net.connect(feeder.port, '127.0.0.1');
  let chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => void chunks.push(d));

  /** The batch's bytes: what arrived, up to its last newline (the rest waits for the next). */
  const take = (): Buffer => {
    const all = Buffer.concat(chunks);
    const cut = all.lastIndexOf(10) + 1;
    chunks = cut < all.length ? [all.subarray(cut)] : [];
    return all.subarray(0, cut);
  };
  /** `bytes` cut at line boundaries into `n` slices of about equal size, each in a buffer of its own. */
  const slices = (bytes: Buffer, n: number): ArrayBuffer[] => {
    const out: ArrayBuffer[] = [];
    let from = 0;
    for (let i = 0; i < n; i++) {
      let to = i === n - 1 ? bytes.length : Math.floor((bytes.length * (i + 1)) / n);
      if (i < n - 1) to = Math.min(bytes.length, bytes.indexOf(10, to) + 1 || bytes.length);
      const copy = new Uint8Array(to - from);
      copy.set(bytes.subarray(from, to));
      out.push(copy.buffer);
      from = to;
    }
    return out;
  };

  const delays: number[] = [];
  let received = 0;
  let first: number | undefined;
  const complete = (time: number, records: number, deltas: string[]): void => {
    writer.add(deltas);
    received += records;
    first ??= time;
    if (time - first >= 1000) delays.push(Date.now() - time);
  };

  const runOne = (time: number, bytes: Buffer): Promise<void> => {
    if (threads === 1) {
      const { records, delta } = apply(state, [splitLines(bytes.toString('utf8'))]);
      complete(time, records, [delta]);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let left = threads;
      let records = 0;
      const deltas: string[] = [];
      const parts = slices(bytes, threads);
      for (const w of workers) {
        w.once('message', (m: { records: number; delta: string }) => {
          records += m.records;
          deltas.push(m.delta);
          if (--left === 0) {
            complete(time, records, deltas);
            resolve();
          }
        });
      }
      parts.forEach((buf, i) => workers[i]!.postMessage({ batch: time, bytes: buf }, [buf]));
    });
  };

  // Batches run one at a time, in order; the socket keeps being read meanwhile.
  const queue: { time: number; bytes: Buffer }[] = [];
  let running = false;
  const pump = async (): Promise<void> => {
    if (running) return;
    running = true;
    while (queue.length > 0) {
      const b = queue.shift()!;
      await runOne(b.time, b.bytes);
      // Let the socket's data and the timers in between batches, as the engine's event loop does.
      await new Promise((r) => setImmediate(r));
    }
    running = false;
  };
  const cpu0 = process.cpuUsage();
  const timer = setInterval(() => {
    queue.push({ time: Date.now(), bytes: take() });
    void pump();
  }, batchMs);

  const deadline = Date.now() + (seconds + 15) * 1000;
  while ((feeder.sent() === 0 || received < feeder.sent()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const used = process.cpuUsage(cpu0);
  clearInterval(timer);
  sock.destroy();
  await Promise.all(workers.map((w) => w.terminate()));
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  delays.sort((a, b) => a - b);
  const q = (p: number): number => delays[Math.min(delays.length - 1, Math.floor(p * delays.length))] ?? NaN;
  return {
    threads,
    p50: q(0.5),
    p99: q(0.99),
    max: delays[delays.length - 1] ?? NaN,
    batches: delays.length,
    received,
    sent: feeder.sent(),
    cpuSeconds: (used.user + used.system) / 1e6,
    maxQueued: writer.maxQueued,
  };
}

if (process.env.CEILING_CHILD) {
  process.stdout.write(JSON.stringify(await child(Number(process.env.CEILING_CHILD))) + '\n');
  process.exit(0);
} else {
  const self = fileURLToPath(import.meta.url);
  console.log(
    `hand-written ceiling of bench/latency.ts: ${rate.toLocaleString('en-US')} records/s over ${keys.toLocaleString('en-US')} keys, ` +
      `${batchMs} ms batches, a delta written every batch, ${seconds} s, ${rounds} rounds`,
  );
  const runs = new Map<number, Figures[]>(threadCounts.map((t) => [t, []]));
  for (let r = 0; r < rounds; r++) {
    for (const threads of r % 2 === 0 ? threadCounts : [...threadCounts].reverse()) {
      const out = await new Promise<string>((resolve) => {
        const c = spawn(process.execPath, [...process.execArgv, self, ...process.argv.slice(2)], {
          env: { ...process.env, CEILING_CHILD: String(threads) },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let s = '';
        c.stdout.on('data', (d) => (s += d));
        c.on('exit', () => resolve(s));
      });
      const f = JSON.parse(out.trim().split('\n').pop()!) as Figures;
      runs.get(threads)!.push(f);
      console.log(
        `${String(threads).padStart(2)} thread${threads === 1 ? ' ' : 's'}: total delay p50 ${f.p50} ms, p99 ${f.p99} ms, max ${f.max} ms ` +
          `(${f.batches} batches; ${f.received.toLocaleString('en-US')} of ${f.sent.toLocaleString('en-US')} records; ` +
          `CPU ${((f.cpuSeconds / Math.max(1, f.received)) * 1e6).toFixed(2)} us a record; at most ${f.maxQueued} deltas queued)` +
          (f.p99 > batchMs ? `  p99 > one batch (${batchMs} ms)` : ''),
      );
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const base = median(runs.get(threadCounts[0]!)!.map((f) => f.p99));
  for (const t of threadCounts.slice(1)) {
    console.log(`p99 median, ${t} threads ÷ ${threadCounts[0]}: ${(median(runs.get(t)!.map((f) => f.p99)) / base).toFixed(2)}`);
  }
}
