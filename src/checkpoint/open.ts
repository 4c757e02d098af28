/**
 * Opening a checkpoint directory: creating it when missing, refusing what is not a dstreams
 * store or not writable, and the damage checks LevelDB does not make on its own (truncated or
 * overwritten table files, log records dropped while recovering, a store rolled back behind the
 * commit count its close marker recorded). A damaged store is reported, never reset.
 *
 * One directory is opened at most once per process, however it is spelt: LevelDB's in-process
 * lock is keyed by the path string and its fcntl lock is per process (a second handle reached by
 * `cp/`, `./x/../cp` or a symlink would open, and closing it would drop the lock the first one
 * relies on, letting another process open the live store). So LevelDB is given the directory's
 * real path, and OPEN_DIRS refuses a second open of it before any second handle exists.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Level } from 'level';
import { RECEIVED_DATA_DIR } from '../util/checkpointDir.js';
import { decodeValue, encodeValue } from './codec.js';
import { CheckpointError, corrupt, fail, innermostMessage, mapOpenError, mapReadError } from '../util/checkpointErrors.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CLOSE_MARKER_FILE,
  DAMAGED_KEY,
  FORMAT_KEY,
  SEQ_KEY,
  UPGRADABLE_FORMAT_VERSIONS,
} from './layout.js';

export interface CheckpointStoreOptions {
  /**
   * fsync the LevelDB log on every commit (default true): a commit that resolved survives a
   * power loss. With false a commit survives a crash of the process but not of the machine.
   */
  sync?: boolean;
  /**
   * Snappy compression of table blocks (default false, as Kafka Streams' RocksDB stores): a store
   * holds mostly deltas that a merge soon replaces, so compressing them at every flush and
   * compaction is CPU spent for little (bench/checkpoint.ts, mapWithState at 1 M keys: 1.2-3 ms
   * less CPU a batch, 1-10 % more throughput; the store ~10-40 % larger). Stores written either
   * way read either way: LevelDB marks each block.
   */
  compression?: boolean;
  /** LevelDB block cache in bytes (default 8 MiB). */
  cacheSize?: number;
  /** LevelDB memtable / log size in bytes before it is flushed to a table (default 4 MiB). */
  writeBufferSize?: number;
}

export type Db = Level<string, string>;

export interface OpenedDatabase {
  db: Db;
  /** The directory's real path (symlinks, `.` and `..` resolved): LevelDB's path, and the OPEN_DIRS entry releaseDirectory() removes. */
  realDir: string;
  /** Commits made so far. */
  seq: number;
  /** True when the store was created now (nothing to restore). */
  created: boolean;
  /**
   * An older format's store (UPGRADABLE_FORMAT_VERSIONS): the marker of this format, to be written
   * in the same LevelDB batch as the store's first write (not at open, so that a store only read,
   * or refused by getOrCreate, stays readable by the dstreams that wrote it).
   */
  upgradeMarker: string | undefined;
}

/** The real paths of the checkpoint directories this process has open (see the header). */
const OPEN_DIRS = new Set<string>();

/** Forgets an open directory: once its LevelDB handle is closed, or its open failed. */
export function releaseDirectory(realDir: string): void {
  OPEN_DIRS.delete(realDir);
}

/** LevelDB table files end with this magic number (little endian), see table/format.h. */
const TABLE_MAGIC = 0xdb4775248b80fb57n;
const TABLE_FOOTER_LENGTH = 48;

function isLevelDbFile(name: string): boolean {
  return (
    name === 'CURRENT' ||
    name.startsWith('MANIFEST-') ||
    /^\d+\.(ldb|sst|log)$/.test(name)
  );
}

/** Files a store may find before its LevelDB files exist; RECEIVED_DATA_DIR holds the receivers' write-ahead log. */
function isHarmlessLeftover(name: string): boolean {
  return name === 'LOCK' || name === 'LOG' || name === 'LOG.old' || name === CLOSE_MARKER_FILE || name === RECEIVED_DATA_DIR;
}

/** True when `dir` holds a LevelDB store (possibly damaged); false when it is missing or holds none. */
export async function storeExists(dir: string): Promise<boolean> {
  try {
    const names = await fsp.readdir(dir);
    return names.some(isLevelDbFile);
  } catch {
    return false;
  }
}

export async function openDatabase(dir: string, opts: CheckpointStoreOptions = {}): Promise<OpenedDatabase> {
  if (typeof dir !== 'string' || dir === '') {
    throw fail('INVALID_ARGUMENT', String(dir), 'checkpoint directory must be a non-empty string');
  }
  const names = await prepareDirectory(dir);
  let realDir: string;
  try {
    realDir = await fsp.realpath(dir);
  } catch (err) {
    throw mapReadError(dir, err, 'resolving the path');
  }
  // Checked and taken with no await in between: two opens racing cannot both pass.
  if (OPEN_DIRS.has(realDir)) {
    throw fail(
      'LOCKED',
      dir,
      `checkpoint directory ${dir} is already in use by another StreamingContext in this process ` +
        `(a checkpoint store open on ${realDir}); stop that context (or close its store) first, or use another directory`,
    );
  }
  OPEN_DIRS.add(realDir);
  try {
    return await openRealDirectory(dir, realDir, names, opts);
  } catch (err) {
    releaseDirectory(realDir); // openRealDirectory closed any handle it opened
    throw err;
  }
}

/** openDatabase() once `realDir` is registered: every file operation uses the real path, every message `dir`. */
async function openRealDirectory(dir: string, realDir: string, names: string[], opts: CheckpointStoreOptions): Promise<OpenedDatabase> {
  const hasDb = names.some(isLevelDbFile);
  if (!hasDb && names.includes(CLOSE_MARKER_FILE)) {
    throw corrupt(dir, `its LevelDB files are missing (only ${CLOSE_MARKER_FILE} is left)`);
  }
  if (!hasDb) {
    const foreign = names.filter((n) => !isHarmlessLeftover(n) && !n.startsWith('.dstreams-write-probe-'));
    if (foreign.length > 0) {
      throw fail(
        'NOT_A_STORE',
        dir,
        `checkpoint directory ${dir} is not empty and is not a dstreams checkpoint store ` +
          `(found ${listNames(foreign)}); use an empty or new directory`,
      );
    }
  } else if (!names.includes('CURRENT')) {
    throw corrupt(dir, 'its LevelDB CURRENT file is missing');
  }

  const db: Db = new Level<string, string>(realDir, {
    keyEncoding: 'utf8',
    valueEncoding: 'utf8',
    createIfMissing: !hasDb,
    compression: opts.compression ?? false,
    ...(opts.cacheSize !== undefined ? { cacheSize: opts.cacheSize } : {}),
    ...(opts.writeBufferSize !== undefined ? { writeBufferSize: opts.writeBufferSize } : {}),
  });
  try {
    await db.open();
  } catch (err) {
    throw mapOpenError(dir, err);
  }

  try {
    return { db, realDir, ...(await validate(dir, realDir, db)) };
  } catch (err) {
    await db.close().catch(() => {});
    if (err instanceof CheckpointError) throw err;
    throw mapReadError(dir, err);
  }
}

/** Checks a freshly opened database (tables, LevelDB's log recovery, damage, format, commit count); initialises a new one. */
async function validate(dir: string, realDir: string, db: Db): Promise<{ seq: number; created: boolean; upgradeMarker: string | undefined }> {
  // LevelDB opens table files lazily: check them now rather than fail on some later read.
  await checkTableFiles(dir, realDir, db);

  const format = await db.get(FORMAT_KEY);

  // LevelDB (without paranoid checks, which classic-level does not expose) drops log records
  // whose checksum fails while recovering and only says so in its LOG file. The dropped log is
  // deleted by then, so record the damage in the store for later opens to see too.
  const dropped = await logRecoveryDrops(realDir);
  if (dropped !== undefined) {
    const reason = `LevelDB dropped damaged records of its write-ahead log while recovering (${dropped})`;
    if (format !== undefined) await db.put(DAMAGED_KEY, encodeValue(reason), { sync: true }).catch(() => {});
    throw corrupt(dir, reason);
  }

  const damaged = await db.get(DAMAGED_KEY);
  if (damaged !== undefined) {
    throw corrupt(dir, `corruption was detected earlier: ${String(decodeValue(damaged))}`);
  }

  const closedSeq = await readCloseMarker(realDir);
  let created = false;
  let upgrade = false;
  if (format === undefined) {
    const anyKey = await db.keys({ limit: 1 }).all();
    if (anyKey.length > 0) {
      throw fail(
        'NOT_A_STORE',
        dir,
        `checkpoint directory ${dir} holds a LevelDB database that is not a dstreams checkpoint store ` +
          `(it has no ${FORMAT_KEY} record); use an empty or new directory`,
      );
    }
    if (closedSeq !== undefined) {
      throw corrupt(
        dir,
        `its LevelDB database is empty, but it was created and held ${closedSeq} commits when last opened or closed ` +
          `(a LevelDB .log or table file was truncated, deleted or replaced)`,
      );
    }
    // A new store (or one whose creation stopped before its first write: nothing to lose).
    await db.batch(
      [
        { type: 'put', key: FORMAT_KEY, value: formatMarker() },
        { type: 'put', key: SEQ_KEY, value: encodeValue(0) },
      ],
      { sync: true },
    );
    created = true;
  } else {
    let parsed: { format?: unknown; version?: unknown };
    try {
      parsed = JSON.parse(format) as { format?: unknown; version?: unknown };
    } catch (err) {
      throw corrupt(dir, `its ${FORMAT_KEY} record is unreadable`, err);
    }
    if (parsed.format !== CHECKPOINT_FORMAT) {
      throw fail(
        'NOT_A_STORE',
        dir,
        `checkpoint directory ${dir} holds a LevelDB database that is not a dstreams checkpoint store ` +
          `(format ${JSON.stringify(parsed.format)}); use an empty or new directory`,
      );
    }
    if (typeof parsed.version === 'number' && UPGRADABLE_FORMAT_VERSIONS.includes(parsed.version)) {
      upgrade = true;
    } else if (parsed.version !== CHECKPOINT_FORMAT_VERSION) {
      throw fail(
        'INCOMPATIBLE_VERSION',
        dir,
        `checkpoint directory ${dir} holds a checkpoint store of an incompatible format version: ` +
          `found version ${JSON.stringify(parsed.version)}, expected version ${CHECKPOINT_FORMAT_VERSION} ` +
          `(this dstreams reads versions ${[...UPGRADABLE_FORMAT_VERSIONS, CHECKPOINT_FORMAT_VERSION].join(', ')}); ` +
          `use a matching dstreams version or delete the directory to start fresh`,
      );
    }
  }

  const seqBuf = await db.get(SEQ_KEY);
  const seq = seqBuf === undefined ? 0 : Number(decodeValue(seqBuf));
  if (!Number.isSafeInteger(seq) || seq < 0) throw corrupt(dir, `its ${SEQ_KEY} record is invalid`);

  if (closedSeq !== undefined && seq < closedSeq) {
    throw corrupt(
      dir,
      `it holds ${seq} commits but had ${closedSeq} when last opened or closed ` +
        `(a LevelDB .log or table file was truncated, deleted or replaced)`,
    );
  }
  // Written from creation on, not only at a clean close: a store only ever killed whose .log is
  // then lost would otherwise read as new (or as rolled back to an earlier open) and start fresh.
  // (Older versions read only its closedCommits.)
  await writeCloseMarker(realDir, seq);
  // An older version's layout is a subset of this one's: only the marker changes, and only with
  // the first write (CheckpointStore), which may hold this format's encodings. From then on an
  // older dstreams refuses the store (naming both versions) rather than misreading it.
  return { seq, created, upgradeMarker: upgrade ? formatMarker() : undefined };
}


function formatMarker(): string {
  return JSON.stringify({ format: CHECKPOINT_FORMAT, version: CHECKPOINT_FORMAT_VERSION });
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 5).map((n) => JSON.stringify(n));
  return shown.join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
}

/** Creates `dir` when missing and checks that it is a writable directory; returns its entries. */
async function prepareDirectory(dir: string): Promise<string[]> {
  const unwritable = (err: unknown): CheckpointError => {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOTDIR' || code === 'EEXIST'
        ? 'a component of the path is a file, not a directory'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EROFS'
            ? 'read-only file system'
            : innermostMessage(err);
    return fail('DIR_UNWRITABLE', dir, `checkpoint directory ${dir} is not writable: ${why} (${code ?? 'error'})`, err);
  };
  let st;
  try {
    st = await fsp.stat(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw unwritable(err);
    try {
      await fsp.mkdir(dir, { recursive: true });
    } catch (mkErr) {
      throw unwritable(mkErr);
    }
    st = await fsp.stat(dir);
  }
  if (!st.isDirectory()) {
    throw fail('NOT_A_DIRECTORY', dir, `checkpoint directory ${dir} exists but is not a directory`);
  }
  // access() catches permissions and read-only mounts; the probe also catches what access()
  // lets through for root (e.g. an immutable directory).
  try {
    await fsp.access(dir, fsConstants.W_OK | fsConstants.X_OK);
    const probe = path.join(dir, `.dstreams-write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
    const fh = await fsp.open(probe, 'wx');
    await fh.close();
    await fsp.unlink(probe);
  } catch (err) {
    throw unwritable(err);
  }
  try {
    return await fsp.readdir(dir);
  } catch (err) {
    throw unwritable(err);
  }
}

/** A description of the log records LevelDB dropped while opening, from its LOG file, or undefined. */
async function logRecoveryDrops(dir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, 'LOG'), 'utf8');
  } catch {
    return undefined;
  }
  const hits = text
    .split('\n')
    .filter((line) => /dropping \d+ bytes|Ignoring error/.test(line))
    .map((line) => line.replace(/^\S+ \S+\s+/, '').trim());
  if (hits.length === 0) return undefined;
  return hits[0]! + (hits.length > 1 ? ` and ${hits.length - 1} more` : '');
}

/**
 * Checks that every live LevelDB table file (as listed by LevelDB itself) has the size its
 * MANIFEST records and ends with the table magic number. LevelDB opens tables lazily, so
 * without this a truncated table would only show when a read reaches it.
 */
async function checkTableFiles(dir: string, realDir: string, db: Db): Promise<void> {
  const listing = (db as unknown as { getProperty(p: string): string }).getProperty('leveldb.sstables');
  for (const m of listing.matchAll(/^\s*(\d+):(\d+)\[/gm)) {
    const num = m[1]!.padStart(6, '0');
    const expected = Number(m[2]);
    let fh: Awaited<ReturnType<typeof fsp.open>> | undefined;
    let name = `${num}.ldb`;
    try {
      fh = await fsp.open(path.join(realDir, name), 'r');
    } catch {
      name = `${num}.sst`;
      try {
        fh = await fsp.open(path.join(realDir, name), 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          // Either deleted by a compaction that started after open, or missing: ask LevelDB.
          if (!(db as unknown as { getProperty(p: string): string }).getProperty('leveldb.sstables').includes(` ${Number(num)}:`)) continue;
          throw corrupt(dir, `table file ${num}.ldb is missing`);
        }
        throw mapReadError(dir, err);
      }
    }
    try {
      const { size } = await fh.stat();
      if (size !== expected) {
        throw corrupt(dir, `table file ${name} has ${size} bytes where LevelDB recorded ${expected} (truncated or overwritten)`);
      }
      if (size < TABLE_FOOTER_LENGTH) throw corrupt(dir, `table file ${name} is truncated (${size} bytes)`);
      const buf = Buffer.alloc(8);
      await fh.read(buf, 0, 8, size - 8);
      if (buf.readBigUInt64LE(0) !== TABLE_MAGIC) throw corrupt(dir, `table file ${name} is overwritten (its footer is not a table footer)`);
    } finally {
      await fh.close();
    }
  }
}

async function readCloseMarker(dir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, CLOSE_MARKER_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const m = JSON.parse(text) as { closedCommits?: unknown };
    return typeof m.closedCommits === 'number' ? m.closedCommits : undefined;
  } catch {
    return undefined; // a marker torn by a crash while it was written: no check possible
  }
}

export async function writeCloseMarker(dir: string, seq: number): Promise<void> {
  const file = path.join(dir, CLOSE_MARKER_FILE);
  const tmp = `${file}.tmp`;
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(
      JSON.stringify({ format: CHECKPOINT_FORMAT, version: CHECKPOINT_FORMAT_VERSION, closedCommits: seq }) + '\n',
    );
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
}
