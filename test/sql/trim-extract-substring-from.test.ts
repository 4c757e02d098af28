/**
 * Spark's keyword forms of three calls: trim([BOTH | LEADING | TRAILING] [trimStr] FROM s),
 * extract(field FROM source) and substring(s FROM pos [FOR len]), with Spark's column names.
 * Expected values: Spark 3.5.3 on the harness's table t.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisException } from '../../src/sql/errors.js';
import { sparkAnswer } from './spark-answer.js';

describe('trim … FROM, extract(… FROM …), substring(… FROM … FOR …)', () => {
  it('trim without a trim string is trim, ltrim or rtrim', () => {
    expect(sparkAnswer('trim(BOTH FROM s)', true)).toEqual({ name: 'trim(s)', type: 'string', values: ['Hello World', 'padded', '2024-12-31', 'Ünïcödé ß', null, 'a,b,,c'] });
    expect(sparkAnswer('trim(LEADING FROM s)', true)).toEqual({ name: 'ltrim(s)', type: 'string', values: ['Hello World', 'padded  ', '2024-12-31', 'Ünïcödé ß', null, 'a,b,,c'] });
    expect(sparkAnswer('trim(TRAILING FROM s)', true)).toEqual({ name: 'rtrim(s)', type: 'string', values: ['Hello World', '  padded', '2024-12-31', 'Ünïcödé ß', null, 'a,b,,c'] });
    expect(sparkAnswer("trim(BOTH FROM '  a  ')")).toEqual({ name: 'trim(  a  )', type: 'string', values: ['a'] });
  });

  it('trim with a trim string', () => {
    expect(sparkAnswer("trim(BOTH 'xy' FROM 'xyaxy')")).toEqual({ name: 'TRIM(BOTH xy FROM xyaxy)', type: 'string', values: ['a'] });
    expect(sparkAnswer("trim(LEADING 'xy' FROM 'xyaxy')")).toEqual({ name: 'TRIM(LEADING xy FROM xyaxy)', type: 'string', values: ['axy'] });
    expect(sparkAnswer("trim(TRAILING 'xy' FROM 'xyaxy')")).toEqual({ name: 'TRIM(TRAILING xy FROM xyaxy)', type: 'string', values: ['xya'] });
    expect(sparkAnswer("trim('xy' FROM 'yxaxy')")).toEqual({ name: 'TRIM(BOTH xy FROM yxaxy)', type: 'string', values: ['a'] });
    expect(sparkAnswer("trim('x' FROM s)", true).name).toBe('TRIM(BOTH x FROM s)');
  });

  it('extract(field FROM source), named as written', () => {
    const t = (e: string) => sparkAnswer(e, true);
    expect(t('extract(YEAR FROM dt)')).toEqual({ name: 'extract(YEAR FROM dt)', type: 'int', values: ['2020', '1969', '2024', '1900', null, '1'] });
    expect(t('extract(year FROM ts)')).toEqual({ name: 'extract(year FROM ts)', type: 'int', values: ['2020', '1969', '2024', '1900', null, '2021'] });
    expect(t('extract(QUARTER FROM dt)')).toEqual({ name: 'extract(QUARTER FROM dt)', type: 'int', values: ['1', '4', '4', '1', null, '1'] });
    expect(t('extract(MONTH FROM dt)')).toEqual({ name: 'extract(MONTH FROM dt)', type: 'int', values: ['2', '12', '12', '3', null, '1'] });
    expect(t('extract(WEEK FROM dt)')).toEqual({ name: 'extract(WEEK FROM dt)', type: 'int', values: ['9', '1', '1', '9', null, '1'] });
    expect(t('extract(DAY FROM dt)')).toEqual({ name: 'extract(DAY FROM dt)', type: 'int', values: ['29', '31', '31', '1', null, '1'] });
    expect(t('extract(DAYOFWEEK FROM dt)')).toEqual({ name: 'extract(DAYOFWEEK FROM dt)', type: 'int', values: ['7', '4', '3', '5', null, '2'] });
    expect(t('extract(DOY FROM dt)')).toEqual({ name: 'extract(DOY FROM dt)', type: 'int', values: ['60', '365', '366', '60', null, '1'] });
    expect(t('extract(HOUR FROM ts)')).toEqual({ name: 'extract(HOUR FROM ts)', type: 'int', values: ['12', '23', '23', '0', null, '0'] });
    expect(t('extract(MINUTE FROM ts)')).toEqual({ name: 'extract(MINUTE FROM ts)', type: 'int', values: ['34', '59', '59', '0', null, '0'] });
    expect(t('extract(HOUR FROM dt)')).toEqual({ name: 'extract(HOUR FROM dt)', type: 'int', values: ['0', '0', '0', '0', null, '0'] });
    expect(t('extract(YEAR FROM s)')).toEqual({ name: 'extract(YEAR FROM s)', type: 'int', values: [null, null, '2024', null, null, null] });
    // Spark's other names for the fields.
    expect(t('extract(YRS FROM ts)').values).toEqual(['2020', '1969', '2024', '1900', null, '2021']);
    expect(t('extract(MONS FROM dt)').values).toEqual(['2', '12', '12', '3', null, '1']);
    expect(t('extract(W FROM dt)').values).toEqual(['9', '1', '1', '9', null, '1']);
    expect(t('extract(D FROM dt)').values).toEqual(['29', '31', '31', '1', null, '1']);
    expect(t('extract(DOW FROM dt)').values).toEqual(['7', '4', '3', '5', null, '2']);
    expect(t('extract(HRS FROM ts)').values).toEqual(['12', '23', '23', '0', null, '0']);
    expect(t('extract(MINS FROM ts)').values).toEqual(['34', '59', '59', '0', null, '0']);
  });

  it('an unknown field is INVALID_EXTRACT_FIELD; DAYOFMONTH is none of Spark’s', () => {
    expect(() => sparkAnswer('extract(FOO FROM dt)', true)).toThrow(AnalysisException);
    expect(() => sparkAnswer('extract(FOO FROM dt)', true)).toThrow('[INVALID_EXTRACT_FIELD] Cannot extract `FOO` from "dt".');
    expect(() => sparkAnswer('extract(DAYOFMONTH FROM dt)', true)).toThrow('[INVALID_EXTRACT_FIELD] Cannot extract `DAYOFMONTH` from "dt".');
  });

  it('substring(s FROM pos [FOR len]) is substring(s, pos, len)', () => {
    expect(sparkAnswer('substring(s FROM 2 FOR 3)', true)).toEqual({ name: 'substring(s, 2, 3)', type: 'string', values: ['ell', ' pa', '024', 'nïc', null, ',b,'] });
    expect(sparkAnswer('substr(s FROM 2 FOR 3)', true)).toEqual({ name: 'substring(s, 2, 3)', type: 'string', values: ['ell', ' pa', '024', 'nïc', null, ',b,'] });
    expect(sparkAnswer('substring(s FROM 2)', true)).toEqual({
      name: 'substring(s, 2, 2147483647)',
      type: 'string',
      values: ['ello World', ' padded  ', '024-12-31', 'nïcödé ß', null, ',b,,c'],
    });
  });
});
