/**
 * A window's batch slices in its changelog — windowBatches.ts (`b\0<batch time>`: a task's part
 * of a parent batch) and windowChangelog.ts (`s\0<batch time>`: a task's part of a batch reduced
 * by key) — cut into records of at most RECORD_BYTES, so a batch one process handles also goes
 * through Kafka (whose max.message.bytes is 1 MB by default) scaled out.
 *
 * Records of the slice of batch t (per task: its changelog partition):
 *  - a slice whose JSON fits: ONE record `<prefix><t>` → the slice's JSON (an array, or
 *    countByWindow's count), as every earlier version wrote it;
 *  - a larger one: n records, part 0 under `<prefix><t>` and part i under `<prefix><t>\0<i>`,
 *    each `{"part":i,"of":n,"slice":[…its elements, in order]}` — an object, which no earlier
 *    version's slice is (versioned by shape). Distinct keys: compaction keeps every part.
 * All parts of a write are in one task transaction (read committed: all visible or none). A
 * write of a slice replaces parts 0..n−1 and tombstones the parts ≥ n an earlier write of it left
 * (this copy knows them: it wrote them, or read them when it gained the task); leaving the window
 * tombstones every part. So under compaction part 0 is always the latest write's and says how many
 * parts follow: a read takes parts 0..n−1 of that write and refuses a slice missing one (rather
 * than bring part of a batch back into a window); parts with no part 0 are left-overs, skipped.
 * An earlier version reading a cut slice fails on it (it takes the object for the slice).
 */
import { RECORD_BYTES, type TaskRecord } from '../kafka/taskProducer.js';

interface Part {
  part: number;
  of: number;
  slice: unknown[];
}

/** The bytes a part's wrapper and key add to its elements, rounded up. */
const PART_OVERHEAD = 128;

/** `items` as JSON arrays of at most `budget` UTF-8 bytes each, in order (an item longer alone is an array of its own). */
export function jsonArrays(items: readonly unknown[], budget: number): string[] {
  const whole = JSON.stringify(items);
  if (whole.length * 3 <= budget || Buffer.byteLength(whole) <= budget) return [whole];
  const out: string[] = [];
  let part: string[] = [];
  let bytes = 2;
  for (const item of items) {
    // As an array's element: undefined (and functions) are null.
    const json = JSON.stringify(item) ?? 'null';
    const n = Buffer.byteLength(json) + 1;
    if (part.length > 0 && bytes + n > budget) {
      out.push(`[${part.join(',')}]`);
      part = [];
      bytes = 2;
    }
    part.push(json);
    bytes += n;
  }
  if (part.length > 0) out.push(`[${part.join(',')}]`);
  return out;
}

function isPart(v: unknown): v is Part {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Number.isInteger((v as Part).of) && Array.isArray((v as Part).slice);
}

/** The slice records of one changelog (`prefix`: its slice keys' prefix), and the parts each written slice has. */
export class SliceRecords {
  /** Batch time → task → how many part keys its slice may have in the changelog (1: only `<prefix><t>`). */
  private readonly parts = new Map<number, Map<number, number>>();

  constructor(
    private readonly topic: string,
    private readonly prefix: string,
    private readonly budget = RECORD_BYTES - PART_OVERHEAD,
  ) {}

  private key(time: number, part: number): string {
    return part === 0 ? this.prefix + time : `${this.prefix}${time}\u0000${part}`;
  }

  private note(time: number, task: number, parts: number): void {
    let byTask = this.parts.get(time);
    if (!byTask) this.parts.set(time, (byTask = new Map()));
    byTask.set(task, Math.max(parts, byTask.get(task) ?? 0));
  }

  /** The records that write task `task`'s `slice` of batch `time`, replacing any earlier write of it. */
  write(time: number, task: number, slice: unknown): TaskRecord[] {
    const texts = Array.isArray(slice) ? jsonArrays(slice, this.budget) : [JSON.stringify(slice)];
    const n = texts.length;
    const rec = (part: number, value: string | null): TaskRecord => ({ topic: this.topic, partition: task, key: this.key(time, part), value });
    const out = n === 1 ? [rec(0, texts[0]!)] : texts.map((t, i) => rec(i, `{"part":${i},"of":${n},"slice":${t}}`));
    const before = this.parts.get(time)?.get(task) ?? 0;
    for (let i = n; i < before; i++) out.push(rec(i, null));
    this.forget(time, task);
    this.note(time, task, n);
    return out;
  }

  /**
   * The batches at or before `horizon` left the window: tombstones of every part of their slices
   * of the tasks `mine` accepts (the others are their owners' to tombstone), all forgotten.
   */
  removeUpTo(horizon: number, mine: (task: number) => boolean): Array<{ task: number; record: TaskRecord }> {
    const out: Array<{ task: number; record: TaskRecord }> = [];
    for (const [t, byTask] of [...this.parts]) {
      if (t > horizon) continue;
      for (const [task, n] of byTask) {
        if (!mine(task)) continue;
        for (let i = 0; i < n; i++) out.push({ task, record: { topic: this.topic, partition: task, key: this.key(t, i), value: null } });
      }
      this.parts.delete(t);
    }
    return out;
  }

  private forget(time: number, task: number): void {
    const byTask = this.parts.get(time);
    byTask?.delete(task);
    if (byTask?.size === 0) this.parts.delete(time);
  }

  drop(task: number): void {
    for (const t of [...this.parts.keys()]) this.forget(t, task);
  }

  keepOnly(tasks: ReadonlySet<number>): void {
    for (const [t, byTask] of [...this.parts]) {
      for (const task of byTask.keys()) if (!tasks.has(task)) byTask.delete(task);
      if (byTask.size === 0) this.parts.delete(t);
    }
  }

  /**
   * Task `task`'s slices in its changelog partition as compaction leaves it (record key → value):
   * batch time → slice, whole (parts put back together), in no order. Throws on a cut slice
   * missing a part.
   */
  read(task: number, entries: ReadonlyMap<string, string>): Map<number, unknown> {
    const firsts = new Map<number, string>();
    const rest = new Map<string, string>();
    for (const [key, value] of entries) {
      if (!key.startsWith(this.prefix)) continue;
      const body = key.slice(this.prefix.length);
      const z = body.indexOf('\u0000');
      const time = Number(z < 0 ? body : body.slice(0, z));
      const part = z < 0 ? 0 : Number(body.slice(z + 1));
      if (!Number.isFinite(time) || !Number.isInteger(part) || part < 0) continue;
      this.note(time, task, part + 1);
      if (part === 0) firsts.set(time, value);
      else rest.set(key, value);
    }
    const out = new Map<number, unknown>();
    for (const [time, value] of firsts) {
      const first: unknown = JSON.parse(value);
      if (!isPart(first)) {
        out.set(time, first);
        continue;
      }
      const slice = first.slice;
      for (let i = 1; i < first.of; i++) {
        const text = rest.get(this.key(time, i));
        const p: unknown = text === undefined ? undefined : JSON.parse(text);
        if (!isPart(p) || p.part !== i || p.of !== first.of) {
          throw new Error(
            `changelog ${this.topic} partition ${task}: the slice of batch ${time} was written as ${first.of} records and its record ${i} is ` +
              `${text === undefined ? 'missing' : 'of another write'} (the topic lost records?): the window cannot be restored whole`,
          );
        }
        for (const e of p.slice) slice.push(e);
      }
      out.set(time, slice);
    }
    return out;
  }
}
