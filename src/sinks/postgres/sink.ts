/**
 * PostgresSink — writes each batch of a stream to a PostgreSQL table, exactly once.
 *
 * Every `writeBatch` is ONE transaction that
 *   1. claims the batch in `dstreams_sink_batches (sink_id, batch_time)`; if the row is
 *      already there the batch was committed before (a replay after a restart, or a retry
 *      whose COMMIT reply was lost) and nothing is written;
 *   2. writes the rows (append: insert; update: upsert on the key columns; complete: delete
 *      the table's contents, then insert);
 *   3. upserts the Kafka offsets the batch covers into `dstreams_sink_offsets`;
 *   4. commits.
 * Rows, bookkeeping and offsets therefore commit together or not at all, and a direct Kafka
 * stream that starts from {@link PostgresSink.storedOffsets} neither loses nor repeats a record.
 *
 * Transient failures (server unreachable, connection dropped, server restarting,
 * serialization failure / deadlock) retry the whole transaction with exponential back-off;
 * permanent ones (bad table or column, syntax, data and constraint errors) fail at once with
 * a {@link PostgresSinkError} naming the table, the columns and the SQLSTATE.
 *
 * In update and complete mode the table is the job's state: a table dropped, truncated or with
 * rows deleted behind the sink's back is refused, not silently written on (guard.ts, `tableCheck`),
 * unless `rebuild` replaces it with the full state.
 *
 * This file is the transaction and the sink's API — over 400 lines because that API (writeBatch,
 * the reads, writer, startOver, close) is one public class with its docs; every part that changes
 * for another reason is beside it: options.ts (options, defaults,
 * validation), statements.ts (the SQL), offsets.ts (offset checks), rows.ts (row shaping),
 * session.ts (pooled clients and the retry loop), connections.ts (the pool, and what close() does to
 * writes in progress), outputs.ts (one stream output per sinkId), guard.ts (the table check),
 * setup.ts (the DDL at first use, `startOver`), write.ts (COPY or INSERT of the rows).
 */
import pg from 'pg';
import type { PoolClient } from 'pg';

import { resolveConnectionConfig } from './config.js';
import { PostgresSinkError, sqlStateOf } from './errors.js';
import { encodeOffsets, normalizeOffsets, offsetGap, replayMismatch } from './offsets.js';
import { fencedClaimId, fenceVerdict, offsetsToCheck } from './fence.js';
import {
  resolveSinkOptions,
  type BatchInfo,
  type CollectableRDD,
  type OffsetCheck,
  type OutputMode,
  type PostgresSinkOptions,
  type SinkOffsetRange,
  type SinkSettings,
  type WriteBatchResult,
  type WriteMethod,
  type WriterOptions,
} from './options.js';
import { dedupeByKey, readTypes, toValueRows, type SinkRow } from './rows.js';
import { withClient, withRetry, type Attempt, type RetryHost } from './session.js';
import { SinkConnections } from './connections.js';
import { claimKey, registerOutput, type OutputLease } from './outputs.js';
import { describeDamage, guardStatements, stampBatch, type GuardStatements, type TableDamage } from './guard.js';
import { forgetSink, setUpTables } from './setup.js';
import { writeRows } from './write.js';
import { buildStatements, upsertOffsetsStatement, type Statements } from './statements.js';

/** Rows for another sink's table, written in the same transaction as the batch (see `writeBatch`). */
export interface AlongsideWrite {
  sink: PostgresSink<any>;
  rows: Iterable<unknown>;
}

export interface WriteBatchOptions<Row = unknown> {
  /**
   * Other tables written in this batch's transaction, each described by a sink (its table,
   * columns, mode, method, `createTable`, `toValues`): e.g. the dead letters of the batch next to
   * its aggregates. They commit or roll back with the batch and are covered by this sink's
   * claim of the batch: their own sinks' bookkeeping is not touched.
   */
  alongside?: readonly AlongsideWrite[];
  /**
   * The job's full state as rows, asked for only when this write rebuilds the table (option
   * `rebuild`, update mode; complete mode's rows are the full state already).
   */
  fullState?: () => Iterable<Row> | Promise<Iterable<Row>>;
}

interface PreparedAlongside {
  sink: PostgresSink<any>;
  values: unknown[][];
}

export class PostgresSink<Row = SinkRow> {
  readonly sinkId: string;
  readonly mode: OutputMode;
  readonly method: WriteMethod;
  readonly columns: readonly string[];
  readonly keyColumns: readonly string[];
  /** The quoted, qualified table name, e.g. `"public"."rsvps"`. */
  readonly tableName: string;

  private readonly pool: pg.Pool;
  private readonly connections: SinkConnections;
  /** Which claim this sink's batches are (outputs.ts). */
  private readonly claim: string;
  private readonly opts: PostgresSinkOptions<Row>;
  private readonly settings: SinkSettings;
  private readonly sql: Statements;
  private readonly offsetCheck: OffsetCheck;
  /** The table check's SQL; undefined when `tableCheck` is off. */
  private readonly guard: GuardStatements | undefined;
  /** What the table check found at init (kept while a rebuild is pending). */
  private damage: TableDamage | undefined;
  /** With `rebuild`: batches at or after this time replace the table with the full state. */
  private rebuildFrom: number | undefined;
  /** The batch time fenced claims were last pruned at (bookkeepingRetentionMs). */
  private fencedPrunedAt = -Infinity;
  /** What the retry loop (session.ts) sees of this sink. */
  private readonly host: RetryHost;
  private readonly closing = new AbortController();
  private initPromise: Promise<void> | undefined;
  private closed = false;

  constructor(options: PostgresSinkOptions<Row>) {
    this.opts = options;
    const s = resolveSinkOptions(options);
    this.settings = s;
    ({ sinkId: this.sinkId, mode: this.mode, method: this.method, columns: this.columns } = s);
    ({ keyColumns: this.keyColumns, tableName: this.tableName, offsetCheck: this.offsetCheck } = s);
    this.host = {
      sinkId: s.sinkId,
      retry: s.retry,
      signal: this.closing.signal,
      isClosed: () => this.closed,
      wrap: (...args) => this.wrap(...args),
      onRetry: options.onRetry,
    };
    this.sql = buildStatements(s, options);
    this.guard = s.tableCheck ? guardStatements(s.bookkeepingSchema, s.tableName) : undefined;

    const config = resolveConnectionConfig({
      ...options,
      applicationName: options.applicationName ?? `dstreams-sink:${this.sinkId}`.slice(0, 63),
    });
    this.claim = claimKey(config, s.bookkeepingSchema, s.sinkId);
    this.connections = new SinkConnections(config);
    this.pool = this.connections.pool;
    // An idle pooled connection that the server drops emits 'error' on the pool; without a
    // listener that would crash the process. The pool discards the client by itself.
    this.pool.on('error', () => {});
  }

  // ---------------------------------------------------------------- public API

  /**
   * Writes one batch in one transaction, exactly once per (sinkId, batchTime). Resolves
   * `{ skipped: true }` when the batch had been committed already.
   */
  async writeBatch(batch: BatchInfo, rows: Iterable<Row>, options: WriteBatchOptions<Row> = {}): Promise<WriteBatchResult> {
    this.assertOpen();
    const batchTime = batch?.batchTime;
    if (typeof batchTime !== 'number' || !Number.isSafeInteger(batchTime)) {
      throw new TypeError(`PostgresSink "${this.sinkId}": batchTime must be an integer number of ms, got ${batchTime}`);
    }
    const normalized = normalizeOffsets(batch.offsetRanges ?? []);
    if ('invalid' in normalized) {
      throw this.wrap('invalid offset range', new TypeError(JSON.stringify(normalized.invalid)), batchTime, false, 0);
    }
    const offsets = normalized.ranges;
    const generation = batch.generation;
    if (generation !== undefined && (!Number.isSafeInteger(generation) || offsets.length === 0)) {
      throw new TypeError(`PostgresSink "${this.sinkId}": a fenced write needs an integer generation and the offset ranges it covers`);
    }
    await this.init(); // the table check decides whether this batch rebuilds
    const rebuilding = this.rebuildFrom !== undefined && batchTime >= this.rebuildFrom;
    if (rebuilding && this.mode === 'update' && options.fullState === undefined) {
      throw new TypeError(
        `PostgresSink "${this.sinkId}": table ${this.tableName} is being rebuilt (${this.damage?.kind}): ` +
          `batch ${batchTime} must bring the full state (writeBatch(…, { fullState }))`,
      );
    }
    // Rows are converted once, before the first attempt: a retry does not call toValues again.
    const full = rebuilding && this.mode === 'update' ? await options.fullState!() : rows;
    const values = this.prepareValues(full, batchTime);
    const alongside = this.prepareAlongside(options.alongside, batchTime);
    await Promise.all(alongside.map((a) => a.sink.init()));

    const attempt: Attempt = { number: 0, previousCommitSent: false };
    const result = await withRetry(
      this.host,
      batchTime,
      async () => {
        const state = { commitSent: false };
        try {
          return await this.transaction(batchTime, values, offsets, alongside, state, rebuilding, generation);
        } finally {
          attempt.previousCommitSent ||= state.commitSent;
        }
      },
      attempt,
    );
    if (rebuilding) {
      this.rebuildFrom = undefined;
      this.damage = undefined;
    }
    return {
      ...result,
      attempts: attempt.number,
      recoveredCommit: result.skipped && attempt.previousCommitSent,
      ...(rebuilding ? { rebuilt: true } : {}),
    };
  }

  /**
   * What the table check found wrong with the table at the sink's first use, while a `rebuild`
   * is pending (without `rebuild` the sink refuses instead); undefined when nothing was.
   */
  get tableDamage(): TableDamage | undefined {
    return this.damage;
  }

  /**
   * Start over from earlier offsets: forgets everything this sink committed — its claimed
   * batches, its stored offsets, its table stamp — and empties its table, in one transaction.
   * Delete the job's checkpoint too: the job then reads its input again from where
   * `auto.offset.reset` says and rebuilds the table from it.
   */
  async startOver(): Promise<void> {
    this.assertOpen();
    await withRetry(this.host, undefined, () => withClient(this.pool, (client) => forgetSink(client, this.sql, this.guard, this.sinkId, this.tableName)));
    this.initPromise = undefined;
    this.damage = undefined;
    this.rebuildFrom = undefined;
  }

  /**
   * The Kafka offsets stored by this sink (or by `sinkId`), as `{ "topic:partition": untilOffset }`
   * — the `fromOffsets` argument of `KafkaUtils.createDirectStream`.
   */
  async storedOffsets(sinkId: string = this.sinkId): Promise<Record<string, number>> {
    this.assertOpen();
    await this.init();
    const res = await withRetry(this.host, undefined, () =>
      this.pool.query<{ topic: string; partition: number; until_offset: string }>(this.sql.storedOffsets, [sinkId]),
    );
    const out: Record<string, number> = {};
    for (const row of res.rows) out[`${row.topic}:${row.partition}`] = Number(row.until_offset);
    return out;
  }

  /**
   * The table's rows, each an array of values in `columns` order: bigint and numeric columns as
   * numbers (a bigint for an integer beyond 2^53, a double for a fraction), dates as Date, the rest
   * as node-postgres reads them. What a job whose state is the table — update or complete mode —
   * starts its state from, together with {@link storedOffsets}.
   */
  async readRows(): Promise<unknown[][]> {
    this.assertOpen();
    await this.init();
    const types = readTypes(pg.types) as never;
    const res = await withRetry(this.host, undefined, () =>
      this.pool.query<unknown[]>({ text: this.sql.readRows, rowMode: 'array', types }),
    );
    return res.rows;
  }

  /** The latest batch time committed by this sink (or by `sinkId`), or undefined. */
  async lastCommittedBatchTime(sinkId: string = this.sinkId): Promise<number | undefined> {
    this.assertOpen();
    await this.init();
    const res = await withRetry(this.host, undefined, () =>
      this.pool.query<{ t: string | null }>(this.sql.lastBatchTime, [sinkId]),
    );
    const t = res.rows[0]?.t;
    return t == null ? undefined : Number(t);
  }

  /**
   * An output function for `foreachRDD`: collects the RDD, maps each element with `extract`
   * (default: the element is the row) and writes it as batch `time`, with the RDD's offsets.
   *
   * ```ts
   * counts.foreachRDD(sink.writer(([location, n], time) => ({ location, n, batch_id: time })));
   * ```
   *
   * One writer per output, and one output per sinkId: a later `writer()` of the same sinkId (this
   * sink's or another's) retires this one, which then refuses to write (outputs.ts).
   */
  writer<T = Row>(
    extract?: (element: T, batchTime: number) => Row,
    options: WriterOptions<T> = {},
  ): (rdd: CollectableRDD<T>, time: number) => Promise<void> {
    const lease = this.registerOutput();
    return async (rdd, time) => {
      lease.check();
      const elements = await rdd.collect();
      const rows = extract ? elements.map((e) => extract(e, time)) : (elements as unknown as Row[]);
      const offsetRanges = options.offsetRanges
        ? options.offsetRanges(rdd, time)
        : typeof rdd.offsetRanges === 'function'
          ? rdd.offsetRanges()
          : undefined;
      await this.writeBatch({ batchTime: time, offsetRanges }, rows);
    };
  }

  /** @internal A new stream output of this sink's claim (outputs.ts): `writer()`, `foreachBatchTo`. */
  registerOutput(): OutputLease {
    return registerOutput(this.claim, this.sinkId, this.tableName);
  }

  /** Creates the bookkeeping tables and (with `createTable`) the target table. Called by the first write. */
  init(): Promise<void> {
    if (!this.initPromise) {
      this.initPromise = withRetry(this.host, undefined, () => this.runInit());
      this.initPromise.catch(() => {
        this.initPromise = undefined; // let a later call try again
      });
    }
    return this.initPromise;
  }

  /**
   * Stops retrying and ends the pool. Writes in progress fail at once (connections.ts): a write
   * waiting to retry, on a lock or on an unresponsive server rejects, its transaction rolls back,
   * and the batch is written when it runs again (after a restart).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(new Error(`PostgresSink "${this.sinkId}" was closed`));
    await this.connections.end();
  }

  // ---------------------------------------------------------------- transaction

  private async transaction(
    batchTime: number,
    values: unknown[][],
    offsets: readonly SinkOffsetRange[],
    alongside: readonly PreparedAlongside[],
    state: { commitSent: boolean },
    rebuilding: boolean,
    generation?: number,
  ): Promise<Omit<WriteBatchResult, 'attempts' | 'recoveredCommit'>> {
    const withAlongside = (n: (a: PreparedAlongside) => number) =>
      alongside.length > 0 ? { alongsideRowsWritten: alongside.map(n) } : {};
    const encodedOffsets = offsets.length > 0 ? encodeOffsets(offsets) : null;
    return withClient(this.pool, async (client) => {
      await client.query('BEGIN');
      // Scale-out: the partitions' generations first (a refused write claims nothing).
      const takeovers = generation === undefined ? new Set<string>() : await this.fence(client, batchTime, offsets, generation);
      const claimId = generation === undefined ? this.sinkId : fencedClaimId(this.sinkId, generation, offsets);
      // Claim the batch first: a concurrent writer of the same batch waits here on the
      // primary key until this transaction ends, then sees the row and skips.
      const claim = await client.query(this.sql.claim, [claimId, batchTime, encodedOffsets]);
      const replay = claim.rowCount === 0;
      if (replay) {
        if (this.offsetCheck !== 'none') await this.checkReplay(client, batchTime, encodedOffsets, claimId);
        // A rebuild writes even a batch committed before: the table must hold the state as of
        // the sink's last batch, and that batch's replay brings it.
        if (!rebuilding) {
          await client.query('ROLLBACK');
          return { skipped: true, rowsWritten: 0, ...withAlongside(() => 0) };
        }
      } else {
        const checked = offsetsToCheck(offsets, takeovers, this.mode);
        if (this.offsetCheck !== 'none' && checked.length > 0) await this.checkOffsets(client, batchTime, checked);
      }
      if (rebuilding) await this.rebuildTable(client, values, batchTime);
      else await this.writeValues(client, values, batchTime);
      // A replay's other tables were written when the batch was committed.
      if (!replay) for (const a of alongside) await a.sink.writeValues(client, a.values, batchTime);
      if (!replay && offsets.length > 0) await this.storeOffsets(client, offsets);
      if (this.opts.bookkeepingRetentionMs !== undefined) {
        const before = batchTime - this.opts.bookkeepingRetentionMs;
        await client.query(this.sql.prune, [this.sinkId, before]);
        // Fenced claims have ids of their own (no index serves their prefix): pruned a tenth as often.
        if (generation !== undefined && batchTime >= this.fencedPrunedAt + this.opts.bookkeepingRetentionMs / 10) {
          await client.query(this.sql.pruneFenced, [this.sinkId, before]);
          this.fencedPrunedAt = batchTime;
        }
      }
      state.commitSent = true;
      await client.query('COMMIT');
      return { skipped: false, rowsWritten: values.length, ...withAlongside((a) => (replay ? 0 : a.values.length)) };
    });
  }

  /**
   * Writes converted rows into this sink's table on `client`, inside the caller's transaction;
   * with the table check on, first stamps the batch and refuses a damaged table.
   */
  private async writeValues(client: PoolClient, values: unknown[][], batchTime: number): Promise<void> {
    if (this.guard) {
      const complete = this.mode === 'complete';
      const damage = await stampBatch(client, this.guard, this.sinkId, this.tableName, values.length > 0, batchTime, complete);
      // While a rebuild is pending, the batches before it (replays, skipped) write on a damaged table.
      if (damage !== undefined && this.rebuildFrom === undefined) throw await this.tableError(client, damage, batchTime);
      if (complete) await client.query(this.guard.markWriter, [this.sinkId]);
    }
    if (this.mode === 'complete') await client.query(this.sql.emptyTable);
    await writeRows(client, this.sql, this.settings, values);
  }

  /** `rebuild`: the table's contents replaced with the full state (`values`), and its stamp made new. */
  private async rebuildTable(client: PoolClient, values: unknown[][], batchTime: number): Promise<void> {
    const guard = this.guard!;
    await client.query(guard.markWriter, [this.sinkId]);
    await client.query(this.sql.emptyTable);
    await writeRows(client, this.sql, this.settings, values);
    await client.query(guard.resetStamp, [this.sinkId, this.tableName, values.length > 0, batchTime]);
  }

  /** The refusal of a damaged table (not retried): what was found, and the ways forward. */
  private async tableError(client: PoolClient, damage: TableDamage, batchTime: number | undefined): Promise<PostgresSinkError> {
    const res = await client.query<{ topic: string; partition: number; until_offset: string }>(this.sql.storedOffsets, [this.sinkId]);
    const offsets = Object.fromEntries(res.rows.map((r) => [`${r.topic}:${r.partition}`, Number(r.until_offset)]));
    const cause = Object.assign(new Error(describeDamage(damage, offsets)), { code: 'TABLE_DAMAGED', damage });
    return this.wrap('table check', cause, batchTime, false, 0);
  }

  /** The batch's ranges must continue the stored offsets (`offsetCheck`); the rows are locked until commit. */
  private async checkOffsets(client: PoolClient, batchTime: number, offsets: readonly SinkOffsetRange[]): Promise<void> {
    const res = await client.query<{ topic: string; partition: number; until_offset: string }>(this.sql.lockOffsets, [
      this.sinkId,
    ]);
    const stored = new Map(res.rows.map((r) => [`${r.topic}:${r.partition}`, Number(r.until_offset)]));
    const gap = offsetGap(stored, offsets, this.offsetCheck);
    if (gap !== undefined) throw this.offsetError(batchTime, gap);
  }

  /** Locks and raises the fenced partitions' generations; refuses an older generation (see fence.ts). The partitions taken over. */
  private async fence(client: PoolClient, batchTime: number, offsets: readonly SinkOffsetRange[], generation: number): Promise<Set<string>> {
    const params = [this.sinkId, offsets.map((o) => o.topic), offsets.map((o) => o.partition), generation];
    // A partition's first write must create its row before the check: FOR UPDATE locks no
    // missing row, and two copies would both pass. Inserting makes a concurrent copy wait on our
    // row and, once we commit, read our generation (and be refused if it is older).
    const inserted = await client.query<{ topic: string; partition: number }>(this.sql.insertFences, params);
    const created = new Set(inserted.rows.map((r) => `${r.topic}:${r.partition}`));
    const res = await client.query<{ topic: string; partition: number; generation: string }>(this.sql.lockFences, params.slice(0, 3));
    // The rows just created hold this write's own generation: for the verdict they are "no write yet".
    const stored = new Map(
      res.rows.filter((r) => !created.has(`${r.topic}:${r.partition}`)).map((r) => [`${r.topic}:${r.partition}`, Number(r.generation)]),
    );
    const verdict = fenceVerdict(stored, offsets, generation);
    if ('refused' in verdict) {
      throw this.wrap('generation fence', Object.assign(new Error(verdict.refused), { code: 'FENCED' }), batchTime, false, 0);
    }
    await client.query(this.sql.raiseFences, params);
    return verdict.takeovers;
  }

  /** A batch already claimed may only be skipped if this replay covers the same offsets as the committed batch. */
  private async checkReplay(client: PoolClient, batchTime: number, encodedOffsets: string | null, claimId = this.sinkId): Promise<void> {
    const res = await client.query<{ offsets: string | null }>(this.sql.claimedOffsets, [claimId, batchTime]);
    const mismatch = replayMismatch(res.rows[0]?.offsets ?? null, encodedOffsets);
    if (mismatch !== undefined) throw this.offsetError(batchTime, mismatch);
  }

  private offsetError(batchTime: number, message: string): PostgresSinkError {
    return this.wrap('offset check', Object.assign(new Error(message), { code: 'OFFSET_MISMATCH' }), batchTime, false, 0);
  }

  private prepareValues(rows: Iterable<Row>, batchTime: number): unknown[][] {
    const fail = (what: string, cause: unknown) => this.wrap(what, cause, batchTime, false, 0);
    const values = toValueRows(rows, this.columns, this.opts.toValues, fail);
    return this.mode === 'update' ? dedupeByKey(values, this.columns, this.keyColumns) : values;
  }

  private prepareAlongside(alongside: readonly AlongsideWrite[] | undefined, batchTime: number): PreparedAlongside[] {
    if (alongside === undefined) return [];
    if (!Array.isArray(alongside)) throw new TypeError(`PostgresSink "${this.sinkId}": alongside must be an array`);
    const tables = new Set([this.tableName]);
    return alongside.map(({ sink, rows }) => {
      if (!(sink instanceof PostgresSink)) {
        throw new TypeError(`PostgresSink "${this.sinkId}": each alongside entry needs { sink: PostgresSink, rows }`);
      }
      sink.assertOpen();
      if (tables.has(sink.tableName)) {
        throw new TypeError(`PostgresSink "${this.sinkId}": table ${sink.tableName} is written twice in one batch`);
      }
      tables.add(sink.tableName);
      return { sink, values: sink.prepareValues(rows, batchTime) };
    });
  }

  private async storeOffsets(client: PoolClient, offsets: readonly SinkOffsetRange[]): Promise<void> {
    await client.query(upsertOffsetsStatement(this.sql, this.sinkId, offsets));
  }

  private async runInit(): Promise<void> {
    await withClient(this.pool, async (client) => {
      const damage = await setUpTables(client, this.sql, this.settings, this.guard, async (d) =>
        // Refused unless rebuilding; a missing table can only be rebuilt when the sink can create it.
        !this.settings.rebuild
          ? await this.tableError(client, d, undefined)
          : d.kind === 'missing' && this.sql.createTable === undefined
            ? this.wrap('rebuild', new Error(`table ${this.tableName} is missing and has no \`createTable\` to create it again with`), undefined, false, 0)
            : undefined,
      );
      if (damage !== undefined) {
        this.damage = damage;
        this.rebuildFrom = damage.lastBatch ?? Number.NEGATIVE_INFINITY;
      }
    });
  }

  private wrap(what: string, err: unknown, batchTime: number | undefined, retryable: boolean, attempts: number): PostgresSinkError {
    return new PostgresSinkError(what, {
      sinkId: this.sinkId,
      table: this.tableName,
      columns: this.columns,
      batchTime,
      sqlState: sqlStateOf(err),
      retryable,
      attempts,
      cause: err,
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`PostgresSink "${this.sinkId}" is closed`);
  }
}
