/**
 * Spark's regex functions use java.util.regex (Java 17 for Spark 3.5): constructs JavaScript reads
 * differently (or as literal text) mean what they mean in Java, or are refused by name.
 */
import { describe, expect, it } from 'vitest';
import { functions as F } from '../../src/sql/index.js';
import { session } from './helpers.js';

/** One row with the string column `s`; `cols` evaluated on it. */
function eval1(s: string, ...cols: ReturnType<typeof F.col>[]): unknown[] {
  const df = session().createDataFrame([{ s }], 's STRING').select(...cols.map((c, k) => c.alias(`c${k}`)));
  const row = df.collect()[0]!;
  return cols.map((_, k) => row[`c${k}`]);
}
const s = () => F.col('s');

describe("Java's regular expressions in rlike, regexp_replace, regexp_extract and split", () => {
  it('$ without MULTILINE also matches before a final line terminator (\\n, \\r\\n, \\r, \\u0085, \\u2028, \\u2029); \\Z too, \\z not', () => {
    expect(eval1('abc\n', s().rlike('c$'), s().rlike('c\\Z'), s().rlike('c\\z'), s().rlike('(?d)c$'))).toEqual([true, true, false, true]);
    expect(eval1('abc\r\n', s().rlike('c$'), s().rlike('(?d)c$'))).toEqual([true, false]);
    expect(eval1('abc\u0085', s().rlike('c$'))).toEqual([true]);
    expect(eval1('abc\n\n', s().rlike('c$'), s().rlike('(?m)c$'))).toEqual([false, true]);
    expect(eval1('ab\nc', F.split(s(), '$'), F.regexp_replace(s(), '$', '#'))).toEqual([['ab\nc', ''], 'ab\nc#']);
    expect(eval1('x\n', F.regexp_replace(s(), '$', '#'))).toEqual(['x#\n#']);
  });

  it('. and (?m)^ follow Java\'s line terminators: \\u0085 ends a line, \\r\\n is one', () => {
    expect(eval1('a\u0085b', s().rlike('a.b'), s().rlike('(?s)a.b'), s().rlike('(?m)^b'))).toEqual([false, true, true]);
    expect(eval1('a\r\nb', F.regexp_replace(s(), '(?m)^', '>'), F.regexp_replace(s(), '(?m)$', '<'))).toEqual(['>a\r\n>b', 'a<\r\nb<']);
  });

  it("\\b and \\B use Java 17's word characters (Unicode letters and digits, _)", () => {
    expect(eval1('Café au', F.regexp_replace(s(), '\\b', '|'), F.regexp_extract(s(), '(\\w+\\b)', 1))).toEqual(['|Café| |au|', 'au']);
    expect(eval1('naïve_1 x', F.split(s(), '\\b'), F.regexp_replace(s(), '\\B', '.'))).toEqual([['naïve_1', ' ', 'x', ''], 'n.a.ï.v.e._.1 x']);
  });

  it('\\h \\H \\v \\V \\R and an ASCII \\s', () => {
    expect(eval1('a b\u00a0c\td', F.regexp_replace(s(), '\\h', '_'), F.regexp_replace(s(), '\\H', '.'), F.regexp_replace(s(), '\\s', '_'))).toEqual([
      'a_b_c_d',
      '. .\u00a0.\t.',
      'a_b\u00a0c_d',
    ]);
    expect(eval1('a\nb\u2028c\r\nd', F.split(s(), '\\v'), F.split(s(), '\\R'), F.regexp_replace(s(), '\\V', '.'))).toEqual([
      ['a', 'b', 'c', '', 'd'],
      ['a', 'b', 'c', 'd'],
      '.\n.\u2028.\r\n.',
    ]);
  });

  it('\\x{h..h}, octal \\0nn, \\e, \\cX (\\c[ is ESC) name characters', () => {
    expect(eval1('x😀y\u001bA', F.split(s(), '\\x{1F600}'), F.regexp_replace(s(), '\\0101', 'a'), F.regexp_replace(s(), '\\e', 'E'), s().rlike('y\\c[A'))).toEqual([
      ['x', 'y\u001bA'],
      'x😀y\u001ba',
      'x😀yEA',
      true,
    ]);
  });

  it('classes: && intersection, nested union, ^ negating the whole class, - after a predefined class', () => {
    expect(eval1('hello-world', F.regexp_replace(s(), '[a-z&&[^aeiou]]', '_'), F.regexp_replace(s(), '[^l[o]]', '.'), F.regexp_extract(s(), '([\\w&&[^h]]+)', 1), F.split(s(), '[\\d-]'))).toEqual([
      '_e__o-_o___',
      '..llo..o.l.',
      'ello',
      ['hello', 'world'],
    ]);
  });

  it('(?i) is ASCII-only unless (?u); inline flags apply from where they stand to the end of their group', () => {
    expect(eval1('CAFÉ', s().rlike('(?i)café'), s().rlike('(?iu)café'), s().rlike('(?i)[a-zé]{4}'), s().rlike('(?iu)[a-zé]{4}'))).toEqual([false, true, false, true]);
    expect(eval1('xABc', s().rlike('^x(?i:ab)c$'), s().rlike('^x(?i)ab(?-i)c$'), s().rlike('^X(?i:ab)c$'))).toEqual([true, true, false]);
    expect(eval1('\u212a', s().rlike('(?i)k'), s().rlike('(?iu)k'))).toEqual([false, true]);
  });

  it('a back reference reads more digits only while such a group exists', () => {
    expect(eval1('aa0', s().rlike('^(a)\\10$'), F.regexp_extract(s(), '(a)\\1', 0))).toEqual([true, 'aa']);
  });

  it('what JavaScript cannot run is refused by name', () => {
    const refused = (p: string) => () => eval1('a', s().rlike(p));
    expect(refused('a++')).toThrow(/possessive quantifiers/);
    expect(refused('(?>a)')).toThrow(/atomic groups/);
    expect(refused('\\Ga')).toThrow(/\\G/);
    expect(refused('(?x)a')).toThrow(/\(\?x\)/);
    expect(refused('\\p{InGreek}')).toThrow(/Unicode blocks/);
    expect(refused('[\\b]')).toThrow(/unsupported escape sequence/);
    expect(refused('\\q')).toThrow(/unsupported escape sequence/);
  });
});
