import { writeFileSync } from 'node:fs';
const L: string[] = [];
const one = (e: string) => L.push(`1\t${e}`);
const tab = (e: string) => L.push(`T\t${e}`);

// --- the table itself
for (const c of ['s', 'i', 'l', 'd', 'dt', 'ts']) tab(c);

// --- date/time function inputs
const dateStrs = ["'2020-02-29'", "'2019-02-29'", "'2021-12-31'", "'2020-01-01'", "'1969-12-31'", "'1900-02-28'", "'1582-10-10'", "'0001-01-01'",
  "'9999-12-31'", "'+10000-01-01'", "'2020-1-5'", "'2020-01'", "'2020'", "'2020-13-01'", "'abc'", "''", "'2020-02-29T10:00:00'",
  "'2020-02-29 23:59:59.999'", "'2020-03-01T00:30:00+05:00'", "'2020-03-01T00:30:00Z'", "' 2020-03-01 '", 'NULL',
  "TIMESTAMP'2020-02-29 12:34:56.789'", "DATE'2020-02-29'", "TIMESTAMP'1969-12-31 23:59:59.5'", "'-0044-03-15'", "'2020-06-15 25:00:00'"];
const dateFns1 = ['to_date', 'year', 'quarter', 'month', 'dayofmonth', 'day', 'dayofweek', 'dayofyear', 'weekofyear', 'last_day'];
for (const f of dateFns1) for (const a of dateStrs) one(`${f}(${a})`);
const tsStrs = ["'2020-02-29 12:34:56.789'", "'2020-02-29T23:59:59.999999'", "'1969-12-31 23:59:59.5'", "'2020-03-01T00:30:00+05:00'",
  "'2020-03-01T00:30:00-08:00'", "'2020-03-01 00:30:00 UTC'", "'2020-03-01T00:30:00Z'", "'12:34:56'", "'T12:34'", "'2020-02-29'", "'abc'", 'NULL',
  "TIMESTAMP'1900-01-01 01:02:03'", "DATE'2020-02-29'", "'2020-02-29 7:8:9'", "'1582-10-10 10:10:10'"];
for (const f of ['hour', 'minute', 'second']) for (const a of tsStrs) one(`${f}(${a})`);
for (const f of dateFns1.concat(['hour', 'minute', 'second'])) for (const c of ['s', 'dt', 'ts']) tab(`${f}(${c})`);
// next_day
for (const d of ["'2020-02-29'", "'2020-12-31'", 'DATE\'2015-01-14\'', "'abc'", 'NULL'])
  for (const w of ["'MO'", "'Mon'", "'monday'", "'SU'", "'xx'", 'NULL']) one(`next_day(${d}, ${w})`);
tab(`next_day(dt, 'TU')`); tab(`next_day(ts, 'fri')`);
// date_add / date_sub / datediff
for (const f of ['date_add', 'date_sub'])
  for (const [d, n] of [["'2020-02-29'", '1'], ["'2020-02-29'", '365'], ["'2020-02-29'", '-60'], ["'9999-12-31'", '1'], ["'2020-02-29'", "'3'"],
    ["'2020-02-29'", "'x'"], ["'2020-02-29'", '1.5'], ["'2020-02-29'", 'NULL'], ["'bad'", '1'], ["TIMESTAMP'2020-02-29 23:00:00'", '1'], ["'2020-02-29'", '2147483647'], ["'2020-02-29'", "CAST(1 AS BIGINT)"]]) one(`${f}(${d}, ${n})`);
tab('date_add(dt, i)'); tab('date_sub(ts, 1)'); tab('date_add(s, 1)');
for (const [a, b] of [["'2020-03-01'", "'2020-02-28'"], ["'2020-02-28'", "'2021-02-28'"], ["'1970-01-01'", "'1969-12-31 23:59:59'"], ["TIMESTAMP'2020-01-02 00:00:01'", "'2020-01-01'"],
  ["'abc'", "'2020-01-01'"], ['NULL', "'2020-01-01'"], ["'0001-01-01'", "'9999-12-31'"]]) one(`datediff(${a}, ${b})`);
tab('datediff(dt, ts)'); tab("datediff(ts, '2000-01-01')");
// add_months
for (const [d, n] of [["'2020-01-31'", '1'], ["'2020-02-29'", '12'], ["'2020-02-29'", '-12'], ["'2019-03-31'", '-1'], ["'2020-01-31'", '0'], ["'9999-12-31'", '1'],
  ["'2020-01-31'", "'2'"], ["'2020-01-31'", '1.9'], ["TIMESTAMP'2020-01-31 23:00:00'", '1'], ["'x'", '1'], ["'2020-01-31'", 'NULL'], ["'2020-01-31'", 'CAST(1 AS BIGINT)']]) one(`add_months(${d}, ${n})`);
tab('add_months(dt, i)'); tab('add_months(ts, 1)');
// months_between
for (const [a, b] of [["'2020-03-31'", "'2020-02-29'"], ["'2020-03-30'", "'2020-02-29'"], ["'1997-02-28 10:30:00'", "'1996-10-30'"], ["'2020-01-01'", "'2020-01-01'"],
  ["'2020-01-15 12:00:00'", "'2020-01-01'"], ["'2021-02-28'", "'2020-02-29'"], ["'1969-01-01'", "'2020-06-15 01:02:03'"], ["'x'", "'2020-01-01'"], ["'2020-04-30'", "'2020-03-31 23:59:59'"]]) {
  one(`months_between(${a}, ${b})`); one(`months_between(${a}, ${b}, false)`);
}
tab('months_between(ts, dt)'); tab("months_between(dt, '2000-01-01')");
// unix time
for (const a of ["'2020-02-29 12:34:56'", "'1969-12-31 23:59:59'", "'1900-01-01 00:00:00'", "'2020-02-29'", "'2020-02-29 12:34:56.999'", "'abc'", 'NULL',
  "TIMESTAMP'2020-02-29 12:34:56.789'", "DATE'2020-02-29'", "TIMESTAMP'1969-12-31 23:59:59.5'"]) {
  one(`unix_timestamp(${a})`); one(`to_unix_timestamp(${a})`);
}
for (const [a, p] of [["'2020/02/29'", "'yyyy/MM/dd'"], ["'29.02.2020 13:14'", "'dd.MM.yyyy HH:mm'"], ["'2020-02-30'", "'yyyy-MM-dd'"], ["'20200229'", "'yyyyMMdd'"],
  ["'2020-02-29 12:34:56'", "'yyyy-MM-dd'"], ["'12 Feb 2020'", "'dd MMM yyyy'"], ["'2020-02-29'", 'NULL'], ["'2020-02-29T01:02:03.456+0100'", "'yyyy-MM-dd''T''HH:mm:ss.SSSZ'"]]) {
  one(`unix_timestamp(${a}, ${p})`); one(`to_unix_timestamp(${a}, ${p})`);
}
tab('unix_timestamp(ts)'); tab('unix_timestamp(dt)'); tab('unix_timestamp(s)');
for (const a of ['0', '-1', '1582934096', '-2208988800', '253402300799', '253402300800', '1.9', "'100'", 'NULL', 'CAST(-86400 AS BIGINT)', '-62135596800', '-62135596801'])
  one(`from_unixtime(${a})`);
for (const p of ["'yyyy-MM-dd'", "'HH:mm:ss'", "'EEE, d MMM yyyy'", "'yyyy-MM-dd''T''HH:mm:ss.SSSXXX'", "'D w u'", "'Q QQ'", "'a h'", 'NULL'])
  one(`from_unixtime(1582934096, ${p})`);
tab('from_unixtime(i)'); tab('from_unixtime(l)'); tab("from_unixtime(d)");
// date_trunc / trunc
for (const u of ["'YEAR'", "'yyyy'", "'yy'", "'QUARTER'", "'MONTH'", "'mm'", "'mon'", "'WEEK'", "'DAY'", "'dd'", "'HOUR'", "'MINUTE'", "'SECOND'", "'MILLISECOND'", "'MICROSECOND'", "'bad'", 'NULL']) {
  one(`date_trunc(${u}, '2020-02-29 12:34:56.789')`);
  one(`trunc('2020-02-29', ${u})`);
}
for (const a of ["'1969-12-31 23:59:59.5'", "DATE'2020-03-01'", "'abc'", "'0001-01-01 10:00:00'", "'2021-01-03 10:00:00'"]) {
  one(`date_trunc('WEEK', ${a})`); one(`date_trunc('HOUR', ${a})`); one(`trunc(${a}, 'WEEK')`); one(`trunc(${a}, 'Q')`);
}
tab("date_trunc('MONTH', ts)"); tab("date_trunc('day', dt)"); tab("trunc(ts, 'YEAR')"); tab("trunc(dt, 'MM')");

// --- casts
const lits: [string, string][] = [["'123'", 's'], ["' 12 '", 's'], ["'12.7'", 's'], ["'-12.7'", 's'], ["'1e3'", 's'], ["'abc'", 's'], ["'true'", 's'], ["'2147483648'", 's'],
  ["'9223372036854775808'", 's'], ["'NaN'", 's'], ["'Infinity'", 's'], ["'-inf'", 's'], ["'0x1F'", 's'], ["'2020-02-29 01:02:03'", 's'], ["'2020-02-29'", 's'], ["'Y'", 's'],
  ['1', 'i'], ['-1', 'i'], ['0', 'i'], ['2147483647', 'i'], ['3000000000', 'l'], ['1.5', 'x'], ['-1.5', 'x'], ['2.5D', 'd'], ['1e20', 'd'], ['1e-5D', 'd'], ["CAST('NaN' AS DOUBLE)", 'd'],
  ['true', 'b'], ['false', 'b'], ["DATE'2020-02-29'", 'dt'], ["TIMESTAMP'2020-02-29 12:34:56.789'", 'ts'], ["TIMESTAMP'1969-12-31 23:59:59.5'", 'ts'], ['NULL', 'n'], ['123456789.123D', 'd'], ['1e7D', 'd'], ['1.0E-4D', 'd'], ['0.001D', 'd']];
const tgts = ['STRING', 'INT', 'BIGINT', 'DOUBLE', 'FLOAT', 'BOOLEAN', 'DATE', 'TIMESTAMP', 'SMALLINT', 'TINYINT', 'BINARY'];
for (const [v] of lits) for (const t of tgts) one(`CAST(${v} AS ${t})`);
for (const c of ['s', 'i', 'l', 'd', 'dt', 'ts']) for (const t of ['STRING', 'INT', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP']) tab(`CAST(${c} AS ${t})`);

// --- date_format / to_timestamp / to_date with patterns
for (const p of ["'yyyy-MM-dd HH:mm:ss'", "'yy-M-d'", "'EEEE MMMM'", "'E MMM'", "'hh:mm a'", "'SSS'", "'SSSSSS'", "'D'", "'''quoted'''", "'yyyy-MM-dd''T''HH:mm:ssXXX'", "'Z'", "'z'", "'VV'", "'G yyyy'", "'uuuu'", "'e'", "'F'", "'Y w'", "'k K H h'", "'q'"]) {
  one(`date_format(TIMESTAMP'2020-02-29 13:04:05.678', ${p})`);
}
tab("date_format(ts, 'yyyy-MM-dd HH:mm:ss.SSS')"); tab("date_format(dt, 'dd/MM/yyyy')"); tab("date_format(s, 'yyyy')");
for (const [a, p] of [["'2020-02-29 13:04:05'", ''], ["'2020-02-29T13:04:05.123456Z'", ''], ["'2020-02-29'", ''], ["'abc'", ''], ["'29/02/2020'", "'dd/MM/yyyy'"], ["'29/02/2020 1:02'", "'dd/MM/yyyy H:mm'"],
  ["'2020-02-30'", "'yyyy-MM-dd'"], ["'2020-02-29 13:04:05.678'", "'yyyy-MM-dd HH:mm:ss.SSS'"], ["'Feb 29 2020'", "'MMM dd yyyy'"], ["'2020-02-29 13:04'", "'yyyy-MM-dd HH:mm:ss'"], ["'1'", "'d'"],
  ["'2020-02-29 01:02:03 PM'", "'yyyy-MM-dd hh:mm:ss a'"], ["'2020-02-29+05:00'", "'yyyy-MM-ddXXX'"]]) {
  one(`to_timestamp(${a}${p ? ', ' + p : ''})`); one(`to_date(${a}${p ? ', ' + p : ''})`);
}
tab('to_timestamp(s)'); tab("to_date(s, 'yyyy-MM-dd')");

// --- string functions
const strs = ["'Hello World'", "'  padded  '", "''", "'ÄÖÜ straße'", "'İstanbul'", "'ΣΑΣ'", 'NULL', "'ǅ'", "'ﬁ'"];
for (const f of ['lower', 'upper', 'trim', 'ltrim', 'rtrim', 'length', 'char_length']) for (const s of strs) one(`${f}(${s})`);
one("trim(BOTH 'x' FROM 'xxaxx')"); one("trim(LEADING 'x' FROM 'xxaxx')"); one("trim(TRAILING 'x' FROM 'xxaxx')"); one("trim('\t a \t')"); one("length('😀')"); one('length(123)'); one('upper(1.5)');
for (const f of ['lower', 'upper', 'trim', 'length']) for (const c of ['s', 'i', 'd', 'dt']) tab(`${f}(${c})`);
for (const [p, n] of [['1', ''], ['0', ''], ['-1', ''], ['-3', ''], ['-100', ''], ['100', ''], ['2', '3'], ['0', '3'], ['-3', '2'], ['-100', '102'], ['2', '-1'], ['2', '0'], ['NULL', '1'], ['2', '100'], ["'2'", "'3'"], ['1.9', '2']]) {
  one(`substring('Spark SQL', ${p}${n ? ', ' + n : ''})`); one(`substr('Spark SQL', ${p}${n ? ', ' + n : ''})`);
}
one("substring('Spark SQL' FROM 2 FOR 3)"); one("substring('Spark SQL' FROM -3)"); one("substring('😀ab', 2)"); tab('substring(s, -3, 2)'); tab('substr(i, 2)');
for (const a of ["'a', 'b'", "'a', NULL", "'a', 1, 2.5", "'a', DATE'2020-02-29'", "'a'", "''"]) one(`concat(${a})`);
one("'a' || 'b'"); one("'a' || NULL"); one("1 || 2"); tab('concat(s, i, d)'); tab('s || dt');
for (const a of ["'-', 'a', 'b'", "'-', 'a', NULL, 'b'", "NULL, 'a', 'b'", "'-'", "'', 'a', 'b'", "'-', 1, 2", "'-', array('x', 'y'), 'z'"]) one(`concat_ws(${a})`);
tab("concat_ws('/', s, ts)");
for (const a of ["'a,b,,c', ','", "'a,b,,c,,', ','", "'a,b,c', ',', 2", "'a,b,c', ',', 0", "'a,b,c', ',', -1", "'a1b22c', '[0-9]+'", "'a.b.c', '.'", "'a.b.c', '\\\\.'",
  "'abc', ''", "'', ','", "NULL, ','", "'a|b', '|'", "'aXbXc', 'X', 1", "'a,b,c', ',', 5"]) one(`split(${a})`);
tab("split(s, ' ')");
for (const a of ["'100-200', '(\\\\d+)', 'num'", "'abc', 'b', ''", "'abc', '', '-'", "'aaa', 'a*', 'X'", "'a.b', '.', 'X'", "'abc', '(b)', '[$1]'", "'abc', 'B', 'x'",
  "'abc', '(?i)B', 'x'", "NULL, 'a', 'b'", "'abc', '[', 'x'", "'2020-02-29', '(\\\\d+)-(\\\\d+)', '$2/$1'", "'a\\\\b', '\\\\\\\\', '/'"]) one(`regexp_replace(${a})`);
for (const a of ["'100-200', '(\\\\d+)-(\\\\d+)', 1", "'100-200', '(\\\\d+)-(\\\\d+)', 2", "'100-200', '(\\\\d+)-(\\\\d+)', 0", "'100-200', '(\\\\d+)'", "'abc', 'x(y)', 1", "'abc', '(b)?c', 1",
  "'100-200', '(\\\\d+)', 2", "'aaa', '(a)', -1", "NULL, 'a', 0", "'foo123', '[a-z]+(\\\\d+)', 1"]) one(`regexp_extract(${a})`);
tab("regexp_replace(s, '[aeiou]', '*')"); tab("regexp_extract(s, '(\\\\w+)', 1)");

// --- number functions
for (const v of ['2.5', '3.5', '-2.5', '1.25', '1234.5678', '-0.5', '2.5D', '-2.5D', '0.125D', '1.005D', '2', '125', '-125', '2147483647', 'CAST(9223372036854775807 AS BIGINT)', "CAST('NaN' AS DOUBLE)", 'NULL', "'2.5'", '1e300D'])
  for (const s of ['', ', 0', ', 1', ', 2', ', -1', ', -2']) one(`round(${v}${s})`);
for (const v of ['2.5', '-2.5', '1234.5678D', '-0.5D', '3', 'CAST(-7 AS BIGINT)', "'1.5'", 'NULL', '1e300D', "CAST('NaN' AS DOUBLE)", '-1e-300D']) for (const f of ['floor', 'ceil', 'ceiling']) {
  one(`${f}(${v})`); one(`${f}(${v}, 1)`); one(`${f}(${v}, -1)`);
}
for (const v of ['-5', '5', '-2147483648', 'CAST(-9223372036854775808 AS BIGINT)', '-2.5D', '-0.0D', 'NULL', "'-3'", '-1.5']) one(`abs(${v})`);
tab('round(d, 1)'); tab('floor(d)'); tab('ceil(d)'); tab('abs(i)'); tab('abs(l)'); tab('round(i, -1)'); tab('bround(d)');
for (const e of ['7 % 3', '-7 % 3', '7 % -3', '7 % 0', '7.5 % 2', '-7.5D % 2', '7 / 2', '-7 / 2', '7 / 0', '0 / 0', '7 div 2', '-7 div 2', '7 div 0', '1.0D / 0', '-1.0D / 0', '0.0D / 0',
  '2147483647 + 1', '-2147483648 - 1', '2147483647 * 2', '-(-2147483648)', 'CAST(9223372036854775807 AS BIGINT) + 1', '9223372036854775807 * 2', 'CAST(-9223372036854775808 AS BIGINT) - 1',
  '2147483647 + 1L', '1 + 1.5', '1 + 1.5D', "'1' + 1", "'1.5' + 1", "'a' + 1", '1 + NULL', '5 - 2.25', '3 * 1.1D', '0.1D + 0.2D', '1/3', '2 * 0.5', 'pmod(-7, 3)', 'pmod(7, -3)', '-7 % 3.0D',
  'CAST(5 AS TINYINT) + CAST(127 AS TINYINT)', 'CAST(100 AS SMALLINT) * CAST(1000 AS SMALLINT)', '10 % 3L', "DATE'2020-03-01' - DATE'2020-02-01'", "DATE'2020-02-29' + 1", "DATE'2020-02-29' - 1",
  "TIMESTAMP'2020-02-29 00:00:00' + INTERVAL 1 DAY", '1e308D * 10', '-0.0D', '+5', '-(5)', '~5', '5 & 3', '5 | 3', '5 ^ 3', 'shiftleft(1, 31)']) one(e);
tab('i + 1'); tab('l + 1'); tab('i * 2'); tab('l * 2'); tab('-i'); tab('-l'); tab('i % 3'); tab('l % 7'); tab('i / 2'); tab('l / 3'); tab('d / 0'); tab('d * 10'); tab('i + d'); tab('i + l'); tab('i div 3'); tab('s + 1'); tab('dt + 1'); tab('abs(d)');

// --- comparisons, boolean logic with nulls
const tv = ['true', 'false', 'NULL'];
for (const a of tv) for (const b of tv) { one(`${a} AND ${b}`); one(`${a} OR ${b}`); }
for (const a of tv) one(`NOT ${a}`);
for (const e of ['1 = 1', '1 = NULL', 'NULL = NULL', 'NULL <=> NULL', '1 <=> NULL', '1 <> 2', '1 != NULL', "'a' < 'b'", "'a' < 'B'", "'10' < '9'", "'10' < 9", "1 = '1'", "1 = '1.0'", "1 = 'abc'",
  "1.0 = 1", "1.5D = 1.5", "DATE'2020-02-29' = '2020-02-29'", "DATE'2020-02-29' < '2020-03-01'", "TIMESTAMP'2020-02-29 00:00:00' = DATE'2020-02-29'", "'2020-02-29' = DATE'2020-02-29'",
  "CAST('NaN' AS DOUBLE) = CAST('NaN' AS DOUBLE)", "CAST('NaN' AS DOUBLE) > 1e308D", "0.0D = -0.0D", "true = 'true'", "true = 1", "'abc' = 'ABC'", "'a ' = 'a'", 'greatest(1, 2, NULL)', 'least(1, 2.5)',
  "greatest('a', 'b')", 'isnull(NULL)', 'isnotnull(1)', 'NULL IS NULL', '1 IS NOT NULL', "nvl(NULL, 'x')", "ifnull(NULL, 2)", "nullif(1, 1)", "nullif(1, 2)", 'if(NULL, 1, 2)', 'if(1 > 0, 1, 2.5)',
  "if(true, 'a', 1)"]) one(e);
tab('i > 0'); tab('i = l'); tab('d > i'); tab("s = 'Hello World'"); tab("dt > '2000-01-01'"); tab("ts < dt"); tab('i > 0 AND d > 0'); tab('i > 0 OR d > 0'); tab('NOT (i > 0)'); tab('s IS NULL'); tab('i <=> NULL');
// CASE WHEN, coalesce
for (const e of ["CASE WHEN 1 > 2 THEN 'a' ELSE 'b' END", "CASE WHEN NULL THEN 'a' END", "CASE 1 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END", "CASE NULL WHEN NULL THEN 1 ELSE 0 END",
  "CASE WHEN true THEN 1 ELSE 2.5 END", "CASE WHEN true THEN 1 ELSE 'x' END", "CASE WHEN false THEN 1 ELSE 2L END", "CASE WHEN true THEN DATE'2020-01-01' ELSE '2020-01-02' END",
  "coalesce(NULL, 1)", "coalesce(NULL, NULL)", "coalesce(NULL, 'a', 'b')", "coalesce(1, 2.5)", "coalesce(1, 'a')", "coalesce(NULL, DATE'2020-02-29')", "coalesce(1L, 2)", "coalesce(DATE'2020-01-01', TIMESTAMP'2020-01-01 10:00:00')"]) one(e);
tab("CASE WHEN i > 0 THEN 'pos' WHEN i < 0 THEN 'neg' ELSE 'zero' END"); tab("CASE i WHEN 1 THEN 'one' ELSE s END"); tab('coalesce(i, l, 0)'); tab('coalesce(s, "x")'); tab('coalesce(dt, ts)');
// LIKE, escapes
for (const e of ["'abc' LIKE 'a%'", "'abc' LIKE 'a_c'", "'abc' LIKE 'A%'", "'a%c' LIKE 'a\\\\%c'", "'abc' LIKE 'a\\\\%c'", "'a_c' LIKE 'a/_c' ESCAPE '/'", "'abc' LIKE 'a/_c' ESCAPE '/'",
  "'a\\nb' LIKE 'a_b'", "NULL LIKE 'a'", "'abc' LIKE NULL", "'abc' NOT LIKE 'a%'", "'ABC' ILIKE 'a%'", "'abc' RLIKE 'b'", "'abc' RLIKE '^b'", "'a.c' LIKE 'a.c'", "'axc' LIKE 'a.c'", "'%' LIKE '%%'",
  "'' LIKE ''", "'abc' LIKE '%'", "'50%' LIKE '50\\\\%'", "'a[b' LIKE 'a[b'"]) one(e);
tab("s LIKE '%o%'"); tab("s LIKE '__'"); tab("s RLIKE '^[A-Z]'");
for (const e of ["'\\u0041'", "'50\\%'", "'50\\\\%'", "r'raw\\n'", "R'a\\tb'", "'a\\tb'", "'a\\nb'", "'it''s'", "\"dq\"", "'a' 'b'", "'\\''", "'\\\"'", "'\\101'", "'\\z'", "'\\0'",
  "'\\_'", "'\\\\'", "'tab\\there'", "'é'", "X'4142'", "'caf\\u00e9'", "'\\U0001F600'"]) one(e);
// IN / BETWEEN
for (const e of ['1 IN (1, 2)', '3 IN (1, 2)', '1 IN (1, NULL)', '3 IN (1, NULL)', 'NULL IN (1)', "1 IN ('1', 2)", "'a' IN ('a', 'b')", "1.0 IN (1)", '3 NOT IN (1, 2)', '3 NOT IN (1, NULL)',
  "DATE'2020-02-29' IN ('2020-02-29')", '2 BETWEEN 1 AND 3', '2 BETWEEN 3 AND 1', '2 NOT BETWEEN 1 AND 3', 'NULL BETWEEN 1 AND 3', '2 BETWEEN NULL AND 3', '5 BETWEEN NULL AND 3',
  "'b' BETWEEN 'a' AND 'c'", "DATE'2020-02-29' BETWEEN '2020-01-01' AND '2020-12-31'", '2.5 BETWEEN 2 AND 3', "'5' BETWEEN 1 AND 10"]) one(e);
tab('i IN (1, 0)'); tab('i BETWEEN -10 AND 10'); tab("s IN ('a,b,,c', NULL)"); tab("dt BETWEEN '2000-01-01' AND '2030-01-01'");

// --- column names only (mixed)
for (const e of ['1', '1L', '1.5', '1.5D', '1e3', "'x'", 'true', 'NULL', "DATE'2020-01-01'", "TIMESTAMP'2020-01-01 00:00:00'", "date '2020-01-01'", 'INTERVAL 1 DAY', "array(1, 2)", "struct(1, 'a')",
  'named_struct(\'a\', 1)', 'Upper(\'x\')', 'LOWER(\'X\')', 'lower(\'X\') AS low', "CAST(1 AS int)", "CAST(1 AS integer)", "CAST('1' AS long)", 'cast(1 as Double)', 'int(1.5)', "string(1)", "date('2020-01-01')", "timestamp('2020-01-01')",
  "double('1.5')", "boolean('yes')", "bigint('5')", '-1', '- 1', '+1', '(1 + 2) * 3', '1 + 2 * 3', "1 == 1", 'NOT true', '!true', 'true AND NOT false', "isnull(1)", "current_date() IS NOT NULL",
  "substring('abc', 1, 2)", "substr('abc' , 2)", "'a' || 'b' || 'c'", "1 IN (1,2,3)", "x'0A'", "1 BETWEEN 0 AND 2", "-(1)", "abs(-1)", "concat('a','b')", "`1`", "trim(' a ')",
  "ltrim('x', 'xxa')", "position('b', 'abc')", "locate('b', 'abc')", "instr('abc', 'b')", "lpad('a', 3, '*')", "rpad('a', 3)", "reverse('abc')", "repeat('ab', 2)", "initcap('hello world')",
  "ascii('A')", "chr(65)", "replace('abc', 'b')", "translate('abc', 'ab', 'x')", "left('abc', 2)", "right('abc', 2)", "format_number(1234.5, 1)", "sqrt(4)", "pow(2, 10)", "power(2, 0.5)", "exp(0)", "ln(1)", "log(10, 100)", "log10(100)", "sign(-3)", "signum(2.5)",
  "greatest(1, 2)", "nanvl(CAST('NaN' AS DOUBLE), 1)", "hash(1)", "md5('a')", "sha1('a')", "crc32('a')", "base64('a')", "hex(255)", "conv('ff', 16, 10)", "bin(5)", "rand(1) < 1", "uuid() IS NOT NULL",
  "current_timestamp() IS NOT NULL", "make_date(2020, 2, 29)", "make_date(2019, 2, 29)", "make_timestamp(2020, 2, 29, 1, 2, 3.5)", "weekday('2020-02-29')", "date_part('year', DATE'2020-02-29')",
  "extract(YEAR FROM DATE'2020-02-29')", "extract(DOW FROM DATE'2020-02-29')", "timestamp_seconds(1)", "timestamp_millis(1500)", "unix_date(DATE'1970-01-02')", "unix_seconds(TIMESTAMP'1970-01-01 00:00:01')",
  "unix_millis(TIMESTAMP'1970-01-01 00:00:01.5')", "date_from_unix_date(1)", "dayname(DATE'2020-02-29')", "monthname(DATE'2020-02-29')", "to_utc_timestamp('2020-01-01 00:00:00', 'PST')", "from_utc_timestamp('2020-01-01 00:00:00', 'Asia/Tokyo')",
  "dateadd(DATE'2020-02-29', 1)", "date_diff(DATE'2020-03-01', DATE'2020-02-01')", "datediff(DATE'2020-03-01', DATE'2020-02-01')", "size(array(1,2))", "array_contains(array(1,2), 2)", "element_at(array(1,2), 1)",
  "array(1,2)[0]", "explode(array(1,2))", "typeof(1)", "nvl2(NULL, 1, 2)", "try_cast('x' AS INT)", "try_add(2147483647, 1)", "try_divide(1, 0)", "bit_length('abc')", "octet_length('é')", "char(65)",
  "startswith('abc', 'a')", "endswith('abc', 'c')", "contains('abc', 'b')", "split_part('a,b', ',', 2)", "substring_index('a.b.c', '.', 2)", "regexp_like('abc', 'b')", "regexp('abc', 'b')", "regexp_count('aaa', 'a')", "regexp_substr('abc', 'b+')",
  "to_char(1234, '9999')", "sentences('a b')", "soundex('Robert')", "levenshtein('kitten', 'sitting')", "elt(1, 'a', 'b')", "find_in_set('b', 'a,b')", "overlay('abc' PLACING 'x' FROM 2)", "btrim('xax', 'x')", "quarter('2020-02-29')",
  "`day`('2020-02-29')"]) one(e);
tab('i AS x'); tab('i + l AS sum'); tab('t.i'); tab('T.I'); tab('upper(s)'); tab('s as `a b`'); tab('*');

writeFileSync(process.argv[2]!, L.join('\n') + '\n');
console.log(L.length);
