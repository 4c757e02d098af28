// PostgresTables.writeBatch with rows under a name that is no table (a typo, another casing):
// refused with the unknown and the known names, and nothing is written — those rows were
// dropped while the batch committed.
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresSink, PostgresTables } from '../../src/sinks/postgres/index.js';
import { pgQuery, sinkConnection, useScratchSchema } from '../helpers/postgres.js';

const scratch = useScratchSchema('dstreams_tables_names');
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('PostgresTables.writeBatch table names', () => {
  it('refuses rows under an unknown table name, naming it, and writes nothing', async () => {
    const [tot, dead] = [scratch().unique('tot'), scratch().unique('dead')];
    const sinkId = scratch().unique('tables');
    const totals = new PostgresSink({ ...(await sinkConnection()), table: scratch().table(tot), columns: ['k', 'n'], createTable: { k: 'text', n: 'int' }, keyColumns: ['k'], mode: 'update', sinkId });
    const deadLetters = new PostgresSink({ ...(await sinkConnection()), table: scratch().table(dead), columns: ['why'], createTable: { why: 'text' }, sinkId: `${sinkId}/dead` });
    const out = new PostgresTables({ totals, deadLetters });
    closers.push(() => out.close());
    const rows = { totals: [['a', 1]], deadletters: [['bad json']] } as never;
    const err = await out.writeBatch({ batchTime: 1 }, rows).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(String(err)).toMatch(/no table named "deadletters" \(the tables are "totals", "deadLetters"\); nothing was written/);
    expect(await out.lastCommittedBatchTime()).toBeUndefined();
    // The right names write the batch.
    await out.writeBatch({ batchTime: 1 }, { totals: [['a', 1]], deadLetters: [['bad json']] });
    expect((await pgQuery(`SELECT count(*)::int AS n FROM ${scratch().qualified(dead)}`)).rows).toEqual([{ n: 1 }]);
  });
});
