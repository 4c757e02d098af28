/**
 * Several tables, one transaction per batch, typed by name:
 *
 * ```ts
 * const out = new PostgresTables({ totals: totalsSink, deadLetters: deadLetterSink });
 * await out.writeBatch({ batchTime, offsetRanges }, { totals: [...], deadLetters: [...] });
 * ```
 *
 * The first sink (or `owner`) claims the batch and stores its offsets; the others' rows are
 * written in the same transaction (`alongside`), so all the tables commit together or not at all,
 * and a replayed batch writes none of them. Each table's rows have its sink's row type: arrays or
 * objects as that sink takes them, no casts. The stream side is `foreachBatchTo` (exactlyonce/).
 */
import type { BatchInfo, WriteBatchResult } from './options.js';
import { PostgresSink, type WriteBatchOptions } from './sink.js';

/** The row type of a sink. */
export type RowOf<S> = S extends PostgresSink<infer R> ? R : never;

/** One batch's rows, per table name (a missing name: no rows for that table this batch). */
export type TableRows<S extends Record<string, PostgresSink<any>>> = { [K in keyof S]?: Iterable<RowOf<S[K]>> };

export interface WriteTablesResult<S extends Record<string, PostgresSink<any>>> extends Omit<WriteBatchResult, 'rowsWritten' | 'alongsideRowsWritten'> {
  /** Rows written per table (0s when the batch was skipped). */
  rowsWritten: { [K in keyof S]: number };
}

export class PostgresTables<S extends Record<string, PostgresSink<any>>> {
  /** The sink that claims each batch and stores its offsets. */
  readonly owner: PostgresSink<any>;
  private readonly ownerName: keyof S & string;
  private readonly others: Array<keyof S & string>;

  constructor(
    readonly sinks: S,
    options: { owner?: keyof S & string } = {},
  ) {
    const names = Object.keys(sinks) as Array<keyof S & string>;
    if (names.length === 0) throw new TypeError('PostgresTables needs at least one sink');
    for (const n of names) {
      if (!(sinks[n] instanceof PostgresSink)) throw new TypeError(`PostgresTables: "${n}" is not a PostgresSink`);
    }
    this.ownerName = options.owner ?? names[0]!;
    if (!names.includes(this.ownerName)) throw new TypeError(`PostgresTables: no sink named "${this.ownerName}"`);
    this.owner = sinks[this.ownerName]!;
    this.others = names.filter((n) => n !== this.ownerName);
  }

  /** Writes one batch's rows to every table in one transaction, exactly once per batch time. */
  async writeBatch(
    batch: BatchInfo,
    rows: TableRows<S>,
    options: Pick<WriteBatchOptions<unknown>, 'fullState'> = {},
  ): Promise<WriteTablesResult<S>> {
    this.checkNames(rows);
    const result = await this.owner.writeBatch(batch, rows[this.ownerName] ?? [], {
      ...options,
      alongside: this.others.map((n) => ({ sink: this.sinks[n]!, rows: rows[n] ?? [] })),
    });
    const { rowsWritten, alongsideRowsWritten = [], ...rest } = result;
    const written = { [this.ownerName]: rowsWritten } as { [K in keyof S]: number };
    this.others.forEach((n, i) => (written[n] = alongsideRowsWritten[i] ?? 0));
    return { ...rest, rowsWritten: written };
  }

  /** Rows under a name that is no table (a typo, another casing) would be dropped while the batch commits. */
  private checkNames(rows: TableRows<S>): void {
    if (rows === null || typeof rows !== 'object' || Array.isArray(rows)) {
      throw new TypeError('PostgresTables.writeBatch: rows must be an object of rows per table name');
    }
    const unknown = Object.keys(rows).filter((n) => !Object.hasOwn(this.sinks, n));
    if (unknown.length > 0) {
      throw new TypeError(
        `PostgresTables.writeBatch: no table named ${unknown.map((n) => JSON.stringify(n)).join(', ')} ` +
          `(the tables are ${Object.keys(this.sinks).map((n) => JSON.stringify(n)).join(', ')}); nothing was written`,
      );
    }
  }

  /** The owner's stored offsets (`createDirectStream`'s `fromOffsets`). */
  storedOffsets(): Promise<Record<string, number>> {
    return this.owner.storedOffsets();
  }

  lastCommittedBatchTime(): Promise<number | undefined> {
    return this.owner.lastCommittedBatchTime();
  }

  /** Closes every sink. */
  async close(): Promise<void> {
    await Promise.all(Object.values(this.sinks).map((s) => s.close()));
  }
}
