/**
 * `SELECT <expr> [FROM t]` as the differential harness against Apache Spark 3.5.3 reads it
 * (bench/spark/sql): the column's name, its type and its values as Spark's show() prints them, so
 * expected values quote Spark's output. `t` is the harness's table (bench/spark/sql/table.ts).
 */
import { cellText } from '../../src/sql/show.js';
import { Types } from '../../src/sql/types.js';
import { COLS, ROWS } from '../../bench/spark/sql/table.js';
import { session } from './helpers.js';

export interface Answer {
  name: string;
  type: string;
  values: (string | null)[];
}

export function sparkAnswer(expr: string, fromT = false): Answer {
  const spark = session();
  spark.registerView('t', spark.createDataFrame(ROWS, COLS.map(([n, t]) => `${n} ${t}`).join(', ')));
  const df = spark.sql(`SELECT ${expr}${fromT ? ' FROM t' : ''}`);
  const f = df.schema.fields[0]!;
  const values = df.collect().map((r) => {
    const v = r[f.name];
    if (v === null || v === undefined) return null;
    return f.dataType === Types.STRING && typeof v === 'string' ? v : cellText(v, f.dataType);
  });
  return { name: f.name, type: f.dataType.simpleString(), values };
}
