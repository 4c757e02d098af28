/**
 * A bad interval string fails with Spark's exception class and words, naming the interval:
 * withWatermark's delay as Dataset.withWatermark (an AnalysisException [CANNOT_PARSE_INTERVAL],
 * an IllegalArgumentException for a negative delay); a trigger's as ProcessingTimeTrigger (an
 * IllegalArgumentException "Error parsing '…' to interval, …", months refused, negative refused).
 * Before, a SyntaxError and a RangeError.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisException, IllegalArgumentException, MemoryStream } from '../../src/sql/index.js';
import { session } from './helpers.js';

const stream = () => new MemoryStream<{ t: Date }>(session(), 't TIMESTAMP').toDF();

describe('withWatermark with a bad delay', () => {
  it('one that does not parse is an AnalysisException [CANNOT_PARSE_INTERVAL] naming it', () => {
    const df = stream();
    expect(() => df.withWatermark('t', 'ten minutes')).toThrow(AnalysisException);
    expect(() => df.withWatermark('t', 'ten minutes')).toThrow(
      "[CANNOT_PARSE_INTERVAL] Unable to parse 'ten minutes'. Please ensure that the value provided is in a valid format for defining an interval. " +
        'You can reference the documentation for the correct format. If the issue persists, please double check that the input value is not null or empty and try again.',
    );
    expect(() => df.withWatermark('t', '')).toThrow("Unable to parse ''.");
  });

  it('a negative one is an IllegalArgumentException', () => {
    const df = stream();
    expect(() => df.withWatermark('t', '-1 minutes')).toThrow(IllegalArgumentException);
    expect(() => df.withWatermark('t', '-1 minutes')).toThrow('requirement failed: delay threshold (-1 minutes) should not be negative.');
    expect(() => df.withWatermark('t', '1 hour -30 minutes')).not.toThrow();
    expect(() => df.withWatermark('t', 'interval 1 month')).not.toThrow(); // a month counts 31 days
  });
});

describe('a processingTime trigger with a bad interval', () => {
  const trigger = (processingTime: string | number) => () => stream().writeStream.trigger({ processingTime });

  it('one that does not parse is an IllegalArgumentException saying why', () => {
    expect(trigger('ten seconds')).toThrow(IllegalArgumentException);
    expect(trigger('ten seconds')).toThrow("Error parsing 'ten seconds' to interval, unrecognized number 'ten'");
    expect(trigger('10 parsecs')).toThrow("Error parsing '10 parsecs' to interval, invalid unit 'parsecs'");
    expect(trigger('10')).toThrow("Error parsing '10' to interval, expect a unit name after '10' but hit EOL");
    expect(trigger(' ')).toThrow("Error parsing ' ' to interval, interval string cannot be empty");
  });

  it('months, years and negative intervals are refused', () => {
    expect(trigger('1 month')).toThrow(IllegalArgumentException);
    expect(trigger('1 month')).toThrow("Doesn't support month or year interval: 1 month");
    expect(trigger('-1 second')).toThrow('requirement failed: the interval of trigger should not be negative');
    expect(trigger(-5)).toThrow('requirement failed: the interval of trigger should not be negative');
    expect(trigger('interval 1 minute 30 seconds')).not.toThrow();
  });
});
