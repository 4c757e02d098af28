import { describe, expect, it } from 'vitest';

import { copyText, csvLine, isTransientError, quoteIdent, qualifiedName, resolveConnectionConfig } from '../../src/sinks/postgres/index.js';
import { dedupeByKey } from '../../src/sinks/postgres/rows.js';
import { tableName } from '../../src/sql/sinks/jdbcUrl.js';

describe('PostgresSink helpers', () => {
  it('quotes identifiers by doubling double quotes', () => {
    expect(quoteIdent('plain')).toBe('"plain"');
    expect(quoteIdent('we"ird; DROP TABLE x;--')).toBe('"we""ird; DROP TABLE x;--"');
    expect(qualifiedName('s "1"', 't')).toBe('"s ""1"""."t"');
    expect(() => quoteIdent('')).toThrow(/non-empty/);
    expect(() => quoteIdent('a\0b')).toThrow(/NUL/);
  });

  it('encodes CSV for COPY: every value quoted, NULL unquoted and empty', () => {
    expect(csvLine(['a', '', null, undefined, 'x"y', 'l1\nl2', '\\.', 1.5, true])).toBe(
      '"a","",,,"x""y","l1\nl2","\\.","1.5","true"\n',
    );
    expect(copyText(Buffer.from([1, 255]))).toBe('\\x01ff');
    expect(copyText({ a: 1 })).toBe('{"a":1}');
    expect(copyText(['a', null, 'b"c'])).toBe('{"a",NULL,"b\\"c"}');
    expect(copyText(10n ** 20n)).toBe('100000000000000000000');
  });

  it('update mode keeps one row per key, telling NaN, Infinity, -Infinity and NULL apart', () => {
    const rows = [[NaN, 1], [Infinity, 2], [-Infinity, 3], [null, 4], [NaN, 5], [1, 6], ['1', 7], [new Date(1), 8], [1n, 9]];
    expect(dedupeByKey(rows, ['k', 'v'], ['k']).map((r) => r[1])).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('parses dbtable as JDBC does: unquoted names fold to lower case, quoted ones keep case, dots and quotes', () => {
    expect(tableName('Counts')).toEqual(['counts']);
    expect(tableName('Analytics.Counts')).toEqual(['analytics', 'counts']);
    expect(tableName('"My.Schema"."Weird ""T"""')).toEqual(['My.Schema', 'Weird "T"']);
    expect(tableName('s."T"')).toEqual(['s', 'T']);
    expect(() => tableName('db.s.t')).toThrow(/3 names/);
    expect(() => tableName('"open')).toThrow(/not closed/);
    expect(() => tableName('my table')).toThrow(/needs double quotes/);
    expect(() => tableName('s.')).toThrow(/an empty name/);
    expect(() => tableName('"a"b')).toThrow(/more than a "."/);
  });

  it('classifies errors: connection trouble is transient, SQL and data errors are permanent', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '08006', '08001', '40001', '40P01']) {
      expect(isTransientError(Object.assign(new Error(code), { code }))).toBe(true);
    }
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientError(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]))).toBe(true);
    for (const code of ['42P01', '42703', '42601', '22P02', '22001', '23505', '23502', '42501']) {
      expect(isTransientError(Object.assign(new Error(code), { code }))).toBe(false);
    }
    expect(isTransientError(new TypeError('bad row'))).toBe(false);
  });

  it('connects with the PG* variables, else 127.0.0.1:5432/test as postgres', () => {
    expect(resolveConnectionConfig({}, {})).toMatchObject({
      host: '127.0.0.1',
      port: 5432,
      database: 'test',
      user: 'postgres',
      max: 4,
    });
    expect(
      resolveConnectionConfig({ poolSize: 2 }, { PGHOST: 'db', PGPORT: '6543', PGDATABASE: 'd', PGUSER: 'u', PGPASSWORD: 'p' }),
    ).toMatchObject({ host: 'db', port: 6543, database: 'd', user: 'u', password: 'p', max: 2 });
    const cs = resolveConnectionConfig({ connectionString: 'postgresql://a@b/c' }, { PGHOST: 'ignored' });
    expect(cs.connectionString).toBe('postgresql://a@b/c');
    expect(cs.host).toBeUndefined();
  });
});
