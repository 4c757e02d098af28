// What the receivers' write-ahead log does with records that are not plain data: a record v8
// cannot serialise makes its block's store() reject, naming the record and the value, and the
// receiver reports it and goes on (the process does not crash); a class instance is written with
// a warning (once per class), as the log gives it back as a plain object.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { FileWriteAheadLog } from '../../src/receivers/index.js';
import { ManualReceiver, recordReceiverEvents, tempDir, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('receiver write-ahead log records that are not plain data', () => {
  it('append() rejects (never throws) for a record v8 cannot serialise, naming the record and the field; later blocks are written', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const wal = await FileWriteAheadLog.open<unknown>(dir, { sync: false });
    cleanups.push(() => wal.close());
    let appended: Promise<void> | undefined;
    expect(() => {
      appended = wal.append({ id: 0, records: [{ id: 0 }, { id: 1, nested: { cb: () => 1 } }] });
    }).not.toThrow();
    await expect(appended).rejects.toThrow(/cannot serialise record 1 of block 0: it holds a function \(cb\) at \.nested\.cb/);
    await expect(wal.append({ id: 1, records: [{ id: 2 }, Symbol('s')] })).rejects.toThrow(/record 1 of block 1: it holds a symbol \(Symbol\(s\)\)/);
    await wal.append({ id: 2, records: [{ id: 3 }] });
    expect(await wal.readAfter(-1)).toEqual([{ id: 2, records: [{ id: 3 }] }]);
  });

  it('a store() of such a record rejects with that error, the receiver reports it, and the stream goes on', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock, receiverWriteAheadLog: true, blockInterval: 20 });
    ssc.checkpoint(dir);
    cleanups.push(() => ssc.stop());
    const events = recordReceiverEvents(ssc);
    let failed: unknown;
    ssc.awaitTermination().catch((e: unknown) => void (failed = e));
    const r = new ManualReceiver<{ id: number; cb?: () => number }>();
    const got: number[] = [];
    ssc.receiverStream(r).foreachRDD((rdd) => void got.push(...rdd.collect().map((x) => x.id)));
    await ssc.start();
    // Stored by the block timer (not by a cut of a batch): where an exception used to end the process.
    await expect(r.put({ id: 1, cb: () => 1 })).rejects.toThrow(/cannot serialise record 0 of block \d+: it holds a function \(cb\) at \.cb/);
    await waitFor(() => events.errors.length === 1, 'the receiver error');
    expect(events.errors[0]!.lastErrorMessage).toMatch(/write-ahead log failed: .*function \(cb\) at \.cb.*plain data/);
    expect(events.errors[0]!.active).toBe(true);
    await r.put({ id: 2 });
    await clock.advance(1000);
    expect(got).toEqual([2]);
    expect(failed).toBeUndefined();
  });

  it('warns once per class that a class instance comes back from the log as a plain object', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    class WalRecordsTestEvent {
      constructor(readonly id: number) {}
      double(): number {
        return this.id * 2;
      }
    }
    const wal = await FileWriteAheadLog.open<unknown>(dir, { sync: false });
    cleanups.push(() => wal.close());
    await wal.append({ id: 0, records: [new WalRecordsTestEvent(1), { inner: new WalRecordsTestEvent(2) }] });
    await wal.append({ id: 1, records: [new WalRecordsTestEvent(3), 'text', { plain: new Map([['a', 1]]) }] });
    const warnings = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('WalRecordsTestEvent'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/write-ahead log holds an instance of WalRecordsTestEvent: .*come back as plain objects/);
    // What the warning says: the log gives the records back without their class.
    const [first] = await wal.readAfter(-1);
    expect(first!.records[0]).not.toBeInstanceOf(WalRecordsTestEvent);
    expect(first!.records[0]).toEqual({ id: 1 });
  });
});
