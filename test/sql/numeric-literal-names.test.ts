/**
 * Numeric literals are named as Spark prints them: a DOUBLE by Java's Double.toString (1e20 is
 * 1.0E20), a decimal with its digits and scale (100.00; Java's BigDecimal text, 0.0000001 is
 * 1E-7), `+5` Spark's UnaryPositive `(+ 5)`. Expected values: Spark 3.5.3 (its decimal values
 * are doubles here; the names and the double values are Spark's).
 */
import { describe, expect, it } from 'vitest';
import { sparkAnswer } from './spark-answer.js';

const name = (expr: string, fromT = false): string => sparkAnswer(expr, fromT).name;

describe('numeric literal names', () => {
  it("a double's name is Java's Double.toString", () => {
    expect(sparkAnswer('1e20')).toEqual({ name: '1.0E20', type: 'double', values: ['1.0E20'] });
    expect(sparkAnswer('1e300D')).toEqual({ name: '1.0E300', type: 'double', values: ['1.0E300'] });
    expect(sparkAnswer('-0.0D')).toEqual({ name: '-0.0', type: 'double', values: ['-0.0'] });
    expect(sparkAnswer('1e3')).toEqual({ name: '1000.0', type: 'double', values: ['1000.0'] });
    expect(sparkAnswer('2.5D')).toEqual({ name: '2.5', type: 'double', values: ['2.5'] });
    expect(sparkAnswer('1.5E-3')).toEqual({ name: '0.0015', type: 'double', values: ['0.0015'] });
    expect(sparkAnswer('-1e3')).toEqual({ name: '-1000.0', type: 'double', values: ['-1000.0'] });
    expect(sparkAnswer('1e7D')).toEqual({ name: '1.0E7', type: 'double', values: ['1.0E7'] });
    expect(sparkAnswer('5.0D')).toEqual({ name: '5.0', type: 'double', values: ['5.0'] });
    expect(name('CAST(1e-5D AS STRING)')).toBe('CAST(1.0E-5 AS STRING)');
  });

  it('a decimal keeps its digits and scale', () => {
    expect(name('0.0')).toBe('0.0');
    expect(name('100.00')).toBe('100.00');
    expect(name('.5')).toBe('0.5');
    expect(name('5.')).toBe('5');
    expect(name('-0.0')).toBe('0.0');
    expect(name('-0.5')).toBe('-0.5');
    expect(name('0.0000001')).toBe('1E-7');
    expect(name('0.00000000')).toBe('0E-8');
    expect(name('123456789012345678901234567890.5')).toBe('123456789012345678901234567890.5');
    expect(sparkAnswer('d + 0.0', true)).toEqual({ name: '(d + 0.0)', type: 'double', values: ['1.5', '-2.5', '0.1', '0.0', null, '1.0E-7'] });
    expect(name('i / 100.0', true)).toBe('(i / 100.0)');
  });

  it('+x is UnaryPositive, named (+ x); a string under it is read as a double', () => {
    expect(sparkAnswer('+5')).toEqual({ name: '(+ 5)', type: 'int', values: ['5'] });
    expect(sparkAnswer("+'10'")).toEqual({ name: '(+ 10)', type: 'double', values: ['10.0'] });
    expect(sparkAnswer('+i', true)).toEqual({ name: '(+ i)', type: 'int', values: ['1', '-7', '2147483647', '0', null, '-2147483648'] });
    expect(sparkAnswer('-5')).toEqual({ name: '-5', type: 'int', values: ['-5'] });
    expect(sparkAnswer('10L')).toEqual({ name: '10', type: 'bigint', values: ['10'] });
  });
});
