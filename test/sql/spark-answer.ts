/**
 * `SELECT <expr> [FROM t]` as the differential harness against Apache Spark 3.5.3 reads it
 * (bench/spark/sql): the column's name, its type and its values as Spark's show() prints them, so
 * expected values quote Spark's output. `t` is the harness's table.
 */
import { cellText } from '../../src/sql/show.js';
import { Types } from '../../src/sql/types.js';
import { session } from './helpers.js';

const ROWS: (string | null)[][] = [
  ['Hello World', '1', '10000000000', '1.5', '2020-02-29', '2020-02-29 12:34:56.789'],
  ['  padded  ', '-7', '-9223372036854775808', '-2.5', '1969-12-31', '1969-12-31 23:59:59.999999'],
  ['2024-12-31', '2147483647', '9223372036854775807', '0.1', '2024-12-31', '2024-12-31 23:59:59'],
  ['Ünïcödé ß', '0', '0', '-0.0', '1900-03-01', '1900-01-01 00:00:00'],
  [null, null, null, null, null, null],
  ['a,b,,c', '-2147483648', '-1', '1e-7', '0001-01-01', '2021-01-03 00:00:00.5'],
];

export interface Answer {
  name: string;
  type: string;
  values: (string | null)[];
}

export function sparkAnswer(expr: string, fromT = false): Answer {
  const spark = session();
  spark.registerView('t', spark.createDataFrame(ROWS, 's STRING, i INT, l BIGINT, d DOUBLE, dt DATE, ts TIMESTAMP'));
  const df = spark.sql(`SELECT ${expr}${fromT ? ' FROM t' : ''}`);
  const f = df.schema.fields[0]!;
  const values = df.collect().map((r) => {
    const v = r[f.name];
    if (v === null || v === undefined) return null;
    return f.dataType === Types.STRING && typeof v === 'string' ? v : cellText(v, f.dataType);
  });
  return { name: f.name, type: f.dataType.simpleString(), values };
}
