// PostgresSink's generation fence (scale-out): per topic-partition, a write of an older group
// generation than one that wrote it is refused; a newer one takes the partition over.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresSink, type PostgresSinkOptions } from '../../src/sinks/postgres/index.js';
import { fenceVerdict, offsetsToCheck } from '../../src/sinks/postgres/fence.js';
import { pgQuery, resolvePg, sinkConnection, useScratchSchema } from '../helpers/postgres.js';

const scratch = useScratchSchema('dstreams_fence');
const sinks: PostgresSink<any>[] = [];
afterAll(async () => {
  for (const s of sinks) await s.close();
});

type Row = { k: string; n: number };
async function sink(mode: 'update' | 'append', table: string, extra: Partial<PostgresSinkOptions<Row>> = {}): Promise<PostgresSink<Row>> {
  const s = new PostgresSink<Row>({
    ...(await sinkConnection()),
    ...extra,
    table: scratch().table(table),
    columns: ['k', 'n'],
    ...(mode === 'update' ? { keyColumns: ['k'] } : {}),
    mode,
    createTable: { k: 'text', n: 'bigint' },
    offsetCheck: 'contiguous',
    sinkId: `fence-${table}`,
  });
  sinks.push(s);
  return s;
}
const range = (partition: number, fromOffset: number, untilOffset: number) => [{ topic: 't', partition, fromOffset, untilOffset }];

/** Resolves once the session named `applicationName` waits for a lock (a row or a table another transaction holds). */
async function waitingOnLock(applicationName: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const res = await pgQuery(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [applicationName]);
    if (res.rowCount) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${applicationName} never waited for a lock`);
}

describe('PostgresSink generation fence', () => {
  it('refuses an older generation once a newer one wrote the partition (code FENCED, not retried)', async () => {
    const s = await sink('update', scratch().unique('t'));
    await s.writeBatch({ batchTime: 1000, offsetRanges: range(0, 0, 10), generation: 5 }, [{ k: 'a', n: 1 }]);
    const err = await s.writeBatch({ batchTime: 2000, offsetRanges: range(0, 10, 20), generation: 4 }, [{ k: 'a', n: 99 }]).catch((e: unknown) => e);
    expect((err as { cause?: { code?: string } }).cause?.code).toBe('FENCED');
    expect(String(err)).toMatch(/written by generation 5, this write is of generation 4/);
    const rows = await pgQuery<{ n: string }>(`SELECT n FROM ${scratch().qualified(s.tableName.split('.')[1]!.replaceAll('"', ''))}`);
    expect(rows.rows.map((r) => Number(r.n))).toEqual([1]);
    // Another partition is not fenced by it.
    await s.writeBatch({ batchTime: 2000, offsetRanges: range(1, 0, 5), generation: 4 }, [{ k: 'b', n: 2 }]);
  });

  it('lets a newer generation take a partition over from an older offset in update mode; the same generation may not overlap', async () => {
    const s = await sink('update', scratch().unique('t'));
    await s.writeBatch({ batchTime: 1000, offsetRanges: range(0, 0, 10), generation: 1 }, [{ k: 'a', n: 1 }]);
    await s.writeBatch({ batchTime: 1500, offsetRanges: range(0, 10, 20), generation: 1 }, [{ k: 'a', n: 2 }]);
    // The new owner resumed from offset 10 (Kafka's last commit): allowed, the keys are written again.
    const r = await s.writeBatch({ batchTime: 1500, offsetRanges: range(0, 10, 25), generation: 2 }, [{ k: 'a', n: 3 }]);
    expect(r.skipped).toBe(false);
    await expect(s.writeBatch({ batchTime: 3000, offsetRanges: range(0, 20, 30), generation: 2 }, [{ k: 'a', n: 4 }])).rejects.toThrow(/would be written twice/);
    expect(await s.storedOffsets()).toEqual({ 't:0': 25 });
  });

  it("an older generation in flight with the new owner's first write of a partition is refused once the new owner commits", async () => {
    // The partition has no fence row yet: both copies are in their transactions at once, the new
    // owner first. A third session holds the table, so the new owner waits after its fence step.
    const table = scratch().unique('t');
    const newOwner = await sink('update', table, { applicationName: `${table}-new` });
    const zombie = await sink('update', table, { applicationName: `${table}-old` });
    await newOwner.init();
    await zombie.init();
    const blocker = new pg.Client((await resolvePg()).config);
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE ${newOwner.tableName} IN ACCESS EXCLUSIVE MODE`);
      const owner = newOwner.writeBatch({ batchTime: 2000, offsetRanges: range(0, 0, 12), generation: 2 }, [{ k: 'a', n: 8 }]);
      await waitingOnLock(`${table}-new`);
      const late = zombie.writeBatch({ batchTime: 2000, offsetRanges: range(0, 0, 10), generation: 1 }, [{ k: 'a', n: 5 }]).catch((e: unknown) => e);
      await waitingOnLock(`${table}-old`);
      await blocker.query('COMMIT');
      expect((await owner).skipped).toBe(false);
      const err = await late;
      expect((err as { cause?: { code?: string } }).cause?.code).toBe('FENCED');
    } finally {
      await blocker.end();
    }
    const rows = await pgQuery<{ k: string; n: string }>(`SELECT k, n FROM ${newOwner.tableName}`);
    expect(rows.rows).toEqual([{ k: 'a', n: '8' }]);
    expect(await newOwner.storedOffsets()).toEqual({ 't:0': 12 });
  });

  it('copies writing the same batch time for different partitions do not skip each other', async () => {
    const s = await sink('update', scratch().unique('t'));
    const a = await s.writeBatch({ batchTime: 1000, offsetRanges: range(0, 0, 10), generation: 3 }, [{ k: 'a', n: 1 }]);
    const b = await s.writeBatch({ batchTime: 1000, offsetRanges: range(1, 0, 10), generation: 3 }, [{ k: 'b', n: 1 }]);
    expect([a.skipped, b.skipped]).toEqual([false, false]);
    // A retry of the same write is skipped (its claim exists).
    expect((await s.writeBatch({ batchTime: 1000, offsetRanges: range(1, 0, 10), generation: 3 }, [{ k: 'b', n: 1 }])).skipped).toBe(true);
  });

  it('pure: verdicts and the offsets a takeover may re-cover', () => {
    const offsets = [...range(0, 0, 5), ...range(1, 0, 5)];
    expect(fenceVerdict(new Map([['t:0', 3]]), offsets, 2)).toHaveProperty('refused');
    expect(fenceVerdict(new Map([['t:0', 3]]), offsets, 3)).toEqual({ takeovers: new Set(['t:1']) });
    expect(offsetsToCheck(offsets, new Set(['t:1']), 'update')).toEqual(range(0, 0, 5));
    expect(offsetsToCheck(offsets, new Set(['t:1']), 'append')).toEqual(offsets);
  });

  it("fenced claims count as the sink's: pruned after bookkeepingRetentionMs, seen by lastCommittedBatchTime, forgotten by startOver", async () => {
    const table = scratch().unique('t');
    const s = new PostgresSink<{ k: string; n: number }>({
      ...(await sinkConnection()),
      table: scratch().table(table),
      columns: ['k', 'n'],
      keyColumns: ['k'],
      mode: 'update',
      createTable: { k: 'text', n: 'bigint' },
      sinkId: `fence-${table}`,
      bookkeepingRetentionMs: 1000,
    });
    sinks.push(s);
    for (let i = 0; i < 10; i++) {
      await s.writeBatch({ batchTime: 1000 * (i + 1), offsetRanges: range(0, i, i + 1), generation: 1 }, [{ k: 'a', n: i }]);
    }
    const claims = async (): Promise<number[]> =>
      (await pgQuery<{ t: string }>(`SELECT batch_time AS t FROM ${scratch().qualified('dstreams_sink_batches')} WHERE sink_id LIKE $1 ORDER BY 1`, [`fence-${table}@%`])).rows.map((r) => Number(r.t));
    expect(await claims()).toEqual([9000, 10000]);
    expect(await s.lastCommittedBatchTime()).toBe(10000);
    await s.startOver();
    expect(await claims()).toEqual([]);
    // The same batch again (a job started over from the first offsets) is written, not skipped.
    const again = await s.writeBatch({ batchTime: 1000, offsetRanges: range(0, 0, 1), generation: 1 }, [{ k: 'a', n: 0 }]);
    expect(again.skipped).toBe(false);
  });
});
