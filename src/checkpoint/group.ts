/**
 * Writing a group of commits (group commit, CommitOptions.coalesce): the commits queued together
 * go to LevelDB in ONE atomic write batch and one fsync. A lingering group (CommitOptions.linger)
 * waits behind its gate for company; the late parts of its commits (CommitOptions.late) are
 * encoded when its write starts, after the rest of each commit, in order.
 */
import { encodeValue } from './codec.js';
import { deleteRewrittenRanges, encodeCommit, type Ops, type Rewrites } from './commit.js';
import { fail, mapReadError } from '../util/checkpointErrors.js';
import { FORMAT_KEY, SEQ_KEY } from './layout.js';
import type { Db } from './open.js';

/** Commits written in one LevelDB write (see CommitOptions.coalesce). */
export interface Group {
  ops: Ops[];
  rewrites: Rewrites;
  sync: boolean;
  /** Coalescing commits: written only if every coalescing group before it was. */
  dependent: boolean;
  /** A lingering group (CommitOptions.linger): written once its gate opens. */
  gate?: Gate;
}

/** When a lingering group may be written: at `open()`, called by its timer at the latest. */
export interface Gate {
  readonly opened: Promise<void>;
  readonly max: number;
  open(): void;
}

export function lingerGate(linger: { ms: number; max: number }): Gate {
  let resolve!: () => void;
  const opened = new Promise<void>((r) => (resolve = r));
  const timer = setTimeout(() => resolve(), linger.ms);
  return {
    opened,
    max: linger.max,
    open: () => {
      clearTimeout(timer);
      resolve();
    },
  };
}

/** Encodes the late parts of a group's commits (CommitOptions.late) into their operations. */
function encodeLateParts(dir: string, group: Group): void {
  let last = -1;
  for (let i = 0; i < group.ops.length; i++) if (group.ops[i]!.late !== undefined) last = i;
  for (let i = 0; i <= last; i++) {
    const ops = group.ops[i]!;
    const late = ops.late;
    if (late === undefined) continue;
    ops.late = undefined;
    const part = late(i === last);
    if (part !== undefined && encodeCommit(dir, part, ops).size > 0) {
      throw fail('INVALID_ARGUMENT', dir, 'the late part of a commit rewrites ranges: it cannot join a group');
    }
  }
}

/**
 * Writes a group of commits as one atomic LevelDB batch (a chained batch: each operation goes
 * straight to LevelDB's WriteBatch), the commit count `seq` advanced by the group's commits, and
 * `upgradeMarker` (an older format's store upgraded by this first write, open.ts) when given.
 */
export async function writeGroup(db: Db, dir: string, group: Group, seq: number, upgradeMarker?: string): Promise<void> {
  encodeLateParts(dir, group);
  const batch = db.batch();
  try {
    for (const ops of group.ops) ops.applyTo(batch);
    await deleteRewrittenRanges(db, dir, group.rewrites, batch);
    batch.put(SEQ_KEY, encodeValue(seq + group.ops.length));
    if (upgradeMarker !== undefined) batch.put(FORMAT_KEY, upgradeMarker);
    await batch.write({ sync: group.sync } as object);
  } catch (err) {
    await batch.close().catch(() => {});
    throw mapReadError(dir, err, 'commit');
  }
}
