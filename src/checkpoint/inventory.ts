/**
 * What a store holds as a whole, for inspecting a checkpoint directory: the ids of its streams
 * and its size on disk. The engine's own reads go stream by stream (stateRead.ts, keyedRead.ts).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { mapReadError } from '../util/checkpointErrors.js';
import { DELTA_NS, IDLE_NS, SLICES_NS, SNAP_NS, STATE_NS } from './layout.js';
import type { Db } from './open.js';

/** The ids of the streams that have stored state or slices, sorted: one seek per stream and namespace. */
export async function storedStreamIds(db: Db, dir: string): Promise<string[]> {
  const ids = new Set<string>();
  for (const ns of [STATE_NS, IDLE_NS, SLICES_NS, SNAP_NS, DELTA_NS]) {
    const it = db.keys({ gt: ns + '/', lt: ns + '0' });
    try {
      for (;;) {
        const k = await it.next();
        if (k === undefined) break;
        const rest = k.slice(ns.length + 1);
        const slash = rest.indexOf('/');
        if (slash < 0) continue;
        const id = rest.slice(0, slash);
        ids.add(id);
        it.seek(`${ns}/${id}0`);
      }
    } catch (err) {
      throw mapReadError(dir, err);
    } finally {
      await it.close();
    }
  }
  return [...ids].sort();
}

/** The sum of the sizes of the files in `dir`, in bytes. */
export async function sizeOnDisk(dir: string): Promise<number> {
  let total = 0;
  for (const name of await fsp.readdir(dir)) {
    try {
      const st = await fsp.stat(path.join(dir, name));
      if (st.isFile()) total += st.size;
    } catch {
      // a file LevelDB deleted meanwhile
    }
  }
  return total;
}
