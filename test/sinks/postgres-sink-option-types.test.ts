// Options of a wrong type or out of range are refused when the sink is made (a TypeError naming
// the option and the value), not found out batch after batch at run time.
import { describe, expect, it } from 'vitest';
import { PostgresSink, type PostgresSinkOptions } from '../../src/sinks/postgres/index.js';
import { resolveSinkOptions } from '../../src/sinks/postgres/options.js';

function make(extra: Partial<PostgresSinkOptions<unknown>>): PostgresSink<unknown> {
  // Nothing connects: the checks run in the constructor (nothing listens on port 1).
  return new PostgresSink({ connectionString: 'postgresql://postgres@127.0.0.1:1/test', table: 'opt_types', columns: ['k'], sinkId: 'opt-types', ...extra });
}

describe('PostgresSink option checks', () => {
  it.each([-1, Number.NaN, Infinity, '1 day', null])('bookkeepingRetentionMs %s is refused (negative wrote batches twice, the others failed every batch)', (v) => {
    expect(() => make({ bookkeepingRetentionMs: v as number })).toThrow(TypeError);
    expect(() => make({ bookkeepingRetentionMs: v as number })).toThrow(/PostgresSink "opt-types".*bookkeepingRetentionMs must be a finite number of ms ≥ 0.*got/);
  });

  it('an unknown option is refused; a connection setting at the top level says where it goes (it was ignored: the rows went to the default database)', () => {
    expect(() => make({ host: 'db.example' } as never)).toThrow(/PostgresSink "opt-types".*unknown option 'host': connection settings go in `connection: \{ host \}` \(or use `connectionString`\)/);
    expect(() => make({ database: 'other' } as never)).toThrow(/unknown option 'database'/);
    expect(() => make({ offsetChek: 'none' } as never)).toThrow(/unknown option 'offsetChek' \(the options: table, columns/);
  });

  it('bookkeepingRetentionMs 0 and more are taken', async () => {
    for (const v of [0, 1, 86_400_000]) await make({ bookkeepingRetentionMs: v }).close();
  });

  it.each(['maxElapsedMs', 'maxAttempts', 'initialDelayMs', 'maxDelayMs', 'factor'])('retry.%s given as a string is refused (maxElapsedMs "2000 ms" retried for ever)', (k) => {
    expect(() => make({ retry: { [k]: '2000 ms' } as never })).toThrow(TypeError);
    expect(() => make({ retry: { [k]: '2000 ms' } as never })).toThrow(new RegExp(`PostgresSink "opt-types" \\(table "opt_types"\\): retry\\.${k} must be a number, got "2000 ms"`));
  });

  it('retry.jitter must be a boolean, retry an object or false', () => {
    expect(() => make({ retry: { jitter: 'no' } as never })).toThrow(/retry\.jitter must be true or false, got "no"/);
    expect(() => make({ retry: true as never })).toThrow(/retry must be an object of options or false, got true/);
  });

  it('numbers, Infinity and false are still taken for retry', async () => {
    await make({ retry: { maxElapsedMs: Infinity, maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 100, factor: 1.5, jitter: false } }).close();
    await make({ retry: false }).close();
    expect(() => make({ retry: { maxElapsedMs: -1 } })).toThrow(RangeError);
  });
});

describe('PostgresSink offsetCheck default', () => {
  const base = { table: 't', columns: ['k', 'v'], keyColumns: ['k'] };
  it("is 'contiguous' in append mode (a gap is records never written) and 'no-overlap' in update and complete mode (state written every few batches)", () => {
    expect(resolveSinkOptions({ ...base }).offsetCheck).toBe('contiguous');
    expect(resolveSinkOptions({ ...base, mode: 'update' }).offsetCheck).toBe('no-overlap');
    expect(resolveSinkOptions({ ...base, mode: 'complete' }).offsetCheck).toBe('no-overlap');
    expect(resolveSinkOptions({ ...base, offsetCheck: 'none' }).offsetCheck).toBe('none');
  });
});
