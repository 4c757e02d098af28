/**
 * window()'s durations follow Spark 3.5's TimeWindow: a duration or slide that is not positive is
 * [DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] (checkInputDataTypes, values in microseconds); a month or
 * a year has no fixed length and is refused (getIntervalInMicroSeconds: "Intervals greater than a
 * month is not supported"); a string that does not parse is [CANNOT_PARSE_INTERVAL]. Before, a
 * zero duration dropped every row silently and '1 month' ran 31-day windows.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisException, IllegalArgumentException, functions as F } from '../../src/sql/index.js';
import { session } from './helpers.js';

const range = (param: string, exprs: string, current: string) =>
  `[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] Cannot resolve "window(t, ${exprs})" due to data type mismatch: The \`${param}\` must be between (0, 9223372036854775807] (current value = ${current}).`;

function frame() {
  return session().createDataFrame([{ t: new Date('2024-01-15T10:00:00Z') }], 't TIMESTAMP');
}

describe('window durations', () => {
  it('a duration that is not positive is out of range', () => {
    const df = frame();
    expect(() => df.groupBy(F.window('t', '0 seconds')).count()).toThrow(AnalysisException);
    expect(() => df.groupBy(F.window('t', '0 seconds')).count()).toThrow(range('window_duration', '0, 0, 0', '0L'));
    expect(() => df.groupBy(F.window('t', '-10 minutes')).count()).toThrow(range('window_duration', '-600000000, -600000000, 0', '-600000000L'));
  });

  it('a slide that is not positive is out of range', () => {
    expect(() => F.window('t', '10 minutes', '0 seconds')).toThrow(range('slide_duration', '600000000, 0, 0', '0L'));
  });

  it('months and years are refused, in the duration, the slide or the start time', () => {
    expect(() => F.window('t', '1 month')).toThrow(IllegalArgumentException);
    expect(() => F.window('t', '1 month')).toThrow('Intervals greater than a month is not supported (1 month).');
    expect(() => F.window('t', '2 years', '1 day')).toThrow('Intervals greater than a month is not supported (2 years).');
    expect(() => F.window('t', '10 days', '1 month')).toThrow('(1 month).');
    expect(() => F.window('t', '10 days', '1 day', '1 month')).toThrow('(1 month).');
  });

  it('a duration that does not parse is CANNOT_PARSE_INTERVAL', () => {
    expect(() => F.window('t', '10 parsecs')).toThrow(AnalysisException);
    expect(() => F.window('t', '10 parsecs')).toThrow("[CANNOT_PARSE_INTERVAL] Unable to parse '10 parsecs'.");
  });

  it('weeks, days and a negative start time are taken', () => {
    const df = frame();
    const starts = (w: ReturnType<typeof F.window>) => df.select(w).collect().map((r) => (r.window as { start: Date }).start.toISOString());
    expect(starts(F.window('t', '1 week'))).toEqual(['2024-01-11T00:00:00.000Z']);
    expect(starts(F.window('t', '1 day', '1 day', '-2 hours'))).toEqual(['2024-01-14T22:00:00.000Z']);
  });
});
