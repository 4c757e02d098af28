/**
 * The record keys of a scaled-out job's keyed changelogs (changelog.ts, windowChangelog.ts), and
 * how a restore turns a partition's records back into state keys.
 *
 * A record key is `changelogKey(key)`: a string key as itself — the bytes a producer sends for
 * it, and what every version wrote — and any other key (or a string starting with NUL) as NUL +
 * the checkpoint's typed key text (checkpoint/codec.ts encodeKey), so keys that differ only in
 * type (1 and "1", ["x"] and '["x"]') have records of their own, as they are keys of their own in
 * the state. Earlier versions wrote a non-string key as its JSON (kafka/partitioner.ts
 * keyString), the record key of the string with that text: compaction kept one record of the
 * two keys. Such a record ("legacy": its value's key says it is no string) is read as the key its
 * value holds; a restore that met live legacy records rewrites them with the task's next
 * transaction (`rewrite`: a tombstone of each, then a record under this version's key), so
 * compaction can never bring one back over a later change of its key.
 */
import { encodeKey, type StateKey } from '../checkpoint/codec.js';
import { keyString } from '../kafka/partitioner.js';
import type { TaskRecord } from '../kafka/taskProducer.js';

export function changelogKey(key: unknown): string {
  return typeof key === 'string' && key.charCodeAt(0) !== 0 ? key : '\u0000' + encodeKey(key as StateKey);
}

interface Entry {
  key: unknown;
  /** The record's value, parsed (`[key, …]`). */
  value: unknown;
  /** The record key it was read under (not changelogKey(key): a legacy record, written again under this version's key). */
  from: string;
}

/** One changelog partition's keyed entries by state key, whatever version wrote their records. */
export class KeyedEntries {
  /** changelogKey(key) → entry. */
  readonly entries = new Map<string, Entry>();
  /** Record key → the entry its latest record put. */
  private readonly byRecord = new Map<string, string>();
  /** Legacy record keys whose latest record is a value (tombstoned by `rewrite`). */
  private readonly liveLegacy = new Set<string>();
  /** A legacy record key → the non-string keys it could stand for (an earlier version's tombstone of an unread record removed them). */
  private readonly byLegacy = new Map<string, Set<string>>();

  /**
   * A value record, `key` being the key its value holds. Records in offset order: the later wins
   * (and a record replaces what the record key held before, as compaction does); records of a
   * folded partition (compacted.ts: one per record key, in no order): this version's record of a
   * key wins over a legacy one.
   */
  put(recordKey: string, key: unknown, value: unknown, folded = false): void {
    const id = changelogKey(key);
    const legacy = recordKey !== id;
    if (legacy) this.liveLegacy.add(recordKey);
    else this.liveLegacy.delete(recordKey);
    if (folded && legacy && this.entries.get(id)?.from === id) return;
    this.forget(recordKey);
    this.entries.set(id, { key, value, from: recordKey });
    this.byRecord.set(recordKey, id);
    if (typeof key !== 'string') {
      const ls = keyString(key);
      let ids = this.byLegacy.get(ls);
      if (!ids) this.byLegacy.set(ls, (ids = new Set()));
      ids.add(id);
    }
  }

  /**
   * A tombstone (records in offset order): the entry its record key's latest record put goes — or,
   * for a record not read (a tail on top of held keys), the key it names: this version's, else
   * the keys an earlier version's record key stood for.
   */
  remove(recordKey: string): void {
    this.liveLegacy.delete(recordKey);
    if (this.forget(recordKey)) return;
    if (this.entries.delete(recordKey)) return;
    for (const id of this.byLegacy.get(recordKey) ?? []) this.entries.delete(id);
  }

  /** Drops the entry `recordKey`'s latest record put, if it still holds it; whether the record key was read. */
  private forget(recordKey: string): boolean {
    const id = this.byRecord.get(recordKey);
    if (id === undefined) return false;
    this.byRecord.delete(recordKey);
    if (this.entries.get(id)?.from === recordKey) this.entries.delete(id);
    return true;
  }

  /** The records that put the legacy-read entries under this version's keys, after tombstones of the legacy records (`prefix` before each key). */
  rewrite(topic: string, partition: number, prefix = ''): TaskRecord[] {
    const out: TaskRecord[] = [];
    for (const k of this.liveLegacy) out.push({ topic, partition, key: prefix + k, value: null });
    for (const [id, e] of this.entries) if (e.from !== id) out.push({ topic, partition, key: prefix + id, value: JSON.stringify(e.value) });
    return out;
  }
}
