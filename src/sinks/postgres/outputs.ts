/**
 * One claim, one stream output. A batch is claimed once per (sinkId, batch time) in the
 * bookkeeping tables of one database, and a batch already claimed is skipped as written. Two
 * outputs of a job writing under one claim — one sink's `writer()` on two streams, or two sinks
 * with the same sinkId (the default is the table name) — would lose the second output's rows of
 * every batch, silently. So every `writer()` (and `foreachBatchTo`) registers as the output of its
 * claim in this process, and the newest one wins: an older output of the same claim is refused
 * when it writes, before anything is written, and the batch fails loudly (the newest as well, from
then on: see `shared`).
 *
 * The newest wins, not the first: a job built again in the same process (getOrCreate calling
 * `create` again, a restart after a failure) makes new outputs and leaves the old ones unused.
 * Direct `writeBatch` calls are not outputs (a caller that writes a batch itself decides which
 * batches are its own, e.g. two copies racing for one batch).
 */

/** The current output of each claim (see `claimKey`). */
const current = new Map<string, object>();
/**
 * Claims an older output was refused on: the current one is refused too from then on (until a new
 * output registers), so that none of the outputs writes the batch under the shared claim — the
 * user's fix (a sinkId for each) then finds the batch unclaimed under every new id.
 */
const shared = new Set<string>();

/** What identifies a claim: the database reached, the bookkeeping schema (default: the search_path's) and the sinkId. */
export function claimKey(
  connection: { connectionString?: string | undefined; host?: string | undefined; port?: number | undefined; database?: string | undefined; user?: string | undefined; options?: string | undefined },
  bookkeepingSchema: string | undefined,
  sinkId: string,
): string {
  const { connectionString, host, port, database, user, options } = connection;
  return JSON.stringify([connectionString ?? null, host ?? null, port ?? null, database ?? null, user ?? null, options ?? null, bookkeepingSchema ?? null, sinkId]);
}

export interface OutputLease {
  /** Throws when a newer output has registered for the same claim. */
  check(): void;
}

/** Registers a new output of the claim `key`, which retires the one before it. */
export function registerOutput(key: string, sinkId: string, table: string): OutputLease {
  const token = {};
  current.set(key, token);
  shared.delete(key);
  return {
    check() {
      if (current.get(key) === token && !shared.has(key)) return;
      shared.add(key);
      throw new Error(
        `PostgresSink "${sinkId}" (table ${table}): more than one stream output writes with sinkId "${sinkId}" ` +
          `(sink.writer() or foreachBatchTo, on one sink or on several with this sinkId), so they are refused: a batch is claimed once per ` +
          `(sinkId, batch time), and the rows of all outputs but one would be skipped as already written. ` +
          `Give each output its own PostgresSink with a sinkId of its own (the default is the table name; ` +
          `pick a new one for each of them), ` +
          `or write the tables of one batch together with PostgresTables and foreachBatchTo`,
      );
    },
  };
}
