/**
 * A batch's whole state on disk, read back lazily: one spill file per partition, written once as
 * the state is visited (a stream over a LevelDB store can only be read asynchronously, an RDD is
 * read synchronously — a plain file can be read synchronously, a frame at a time).
 *
 * When things happen: `SpillWriter.put` buffers entries per partition and appends a frame of up
 * to FRAME_ENTRIES entries (`[u32 length][v8.serialize([k0, v0, k1, v1, …])]`) with a
 * synchronous write; `finish()` closes the files. Each read of a SpillRDD partition opens its
 * file and decodes one frame at a time, so memory is one frame whatever the state's size. The
 * owner removes the files (`remove()`) once no batch can read them; the spill directory is in
 * the system's temporary folder (TMPDIR) and removed when the process exits — or, after a
 * SIGKILL, by the next process that spills, once it sees the pid in the name is gone.
 */
import { closeSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { RDD, type Push } from './RDD.js';
import { partitionOf } from './keys.js';
import { refusedBySerialize, serialises } from '../util/plainData.js';

const FRAME_ENTRIES = 2000;
let spillDir: string | undefined;
let nextFile = 0;

const PREFIX = 'dstreams-spill-';

/** Removes the spill directories of processes that no longer run (killed before their exit handler). */
function removeStale(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(path.join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

function dir(): string {
  if (spillDir === undefined) {
    removeStale();
    const made = mkdtempSync(path.join(tmpdir(), `${PREFIX}${process.pid}-`));
    spillDir = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return spillDir;
}

/** The spill files of one batch's state, one per partition. */
export class Spill {
  constructor(
    readonly files: readonly string[],
    readonly entries: number,
  ) {}

  remove(): void {
    for (const f of this.files) rmSync(f, { force: true });
  }
}

export class SpillWriter {
  private readonly fds: number[];
  private readonly files: string[];
  private readonly bufs: unknown[][];
  private entries = 0;

  constructor(private readonly numPartitions: number) {
    const d = dir();
    this.files = Array.from({ length: numPartitions }, () => path.join(d, `${nextFile++}.spill`));
    this.fds = this.files.map((f) => openSync(f, 'w'));
    this.bufs = Array.from({ length: numPartitions }, () => []);
  }

  put(key: unknown, value: unknown): void {
    const p = this.numPartitions === 1 ? 0 : partitionOf(key, this.numPartitions);
    const buf = this.bufs[p]!;
    buf.push(key, value);
    this.entries++;
    if (buf.length >= FRAME_ENTRIES * 2) this.flush(p);
  }

  private flush(p: number): void {
    const body = serializedFrame(this.bufs[p]!);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(body.length, 0);
    writeSync(this.fds[p]!, head);
    writeSync(this.fds[p]!, body);
    this.bufs[p] = [];
  }

  finish(): Spill {
    for (let p = 0; p < this.numPartitions; p++) {
      if (this.bufs[p]!.length > 0) this.flush(p);
      closeSync(this.fds[p]!);
    }
    return new Spill(this.files, this.entries);
  }

  /** Gives up (a user function failed): closes and removes the files. */
  abandon(): void {
    for (const fd of this.fds) closeSync(fd);
    for (const f of this.files) rmSync(f, { force: true });
  }
}

/** The [key, value] pairs of a spill, read from its files each time a partition is iterated. */
export class SpillRDD<K, V> extends RDD<[K, V]> {
  /** `spill` gives the files when a partition is first read (the state may not be computed when the RDD is made). */
  constructor(
    readonly numPartitions: number,
    private readonly what: string,
    private readonly spill: () => Spill,
  ) {
    super();
  }

  /** Caching would hold the whole state in memory: each use reads the files again instead. */
  override cache(): this {
    return this;
  }

  protected compute(i: number, push: Push<[K, V]>): void {
    const file = this.spill().files[i]!;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      throw new Error(`${this.what}: this batch's state is no longer kept (its spill file is gone)`, { cause: err });
    }
    try {
      const head = Buffer.alloc(4);
      for (;;) {
        const got = readSync(fd, head, 0, 4, null);
        if (got === 0) return;
        const len = head.readUInt32LE(0);
        const body = Buffer.allocUnsafe(len);
        let off = 0;
        while (off < len) {
          const n = readSync(fd, body, off, len - off, null);
          if (n === 0) throw new Error(`${this.what}: spill file ${file} is truncated`);
          off += n;
        }
        const flat = v8.deserialize(body) as unknown[];
        for (let j = 0; j < flat.length; j += 2) push([flat[j] as K, flat[j + 1] as V]);
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** v8.serialize of a frame; a refusal says which entry's key or value, and where in it. */
function serializedFrame(flat: unknown[]): Buffer {
  try {
    return v8.serialize(flat);
  } catch (e) {
    const i = flat.findIndex((x) => !serialises(x));
    if (i === -1) throw e;
    const { path, what } = refusedBySerialize(flat[i]);
    const entry = i % 2 === 0 ? 'a key' : `the value of key ${JSON.stringify(flat[i - 1])?.slice(0, 80) ?? String(flat[i - 1])}`;
    throw new TypeError(
      `${entry} holds ${what}${path === '' ? '' : ` at ${path}`}, which cannot be stored on disk ` +
        `(${((e as Error).message ?? String(e)).replace(/\.$/, '')}): keep state values plain data ` +
        '(primitives, plain objects, arrays, Map, Set, Date, typed arrays…); await a Promise and store its result',
    );
  }
}
