import { readFileSync, writeFileSync } from 'node:fs';
import { SparkSession } from '../../../src/index.js';
import { ManualClock } from '../../../src/context/Clock.js';
import { cellText } from '../../../src/sql/show.js';
import { Types } from '../../../src/sql/types.js';
import { COLS, ROWS } from './table.js';

const [, , exprFile, outFile] = process.argv;
const spark = new SparkSession({ appName: 'sqldiff', clock: new ManualClock() });
spark.registerView('t', spark.createDataFrame(ROWS, COLS.map(([n, t]) => `${n} ${t}`).join(', ')));
const out: string[] = [];
for (const line of readFileSync(exprFile!, 'utf8').split('\n')) {
  if (line === '' || line.startsWith('#')) continue;
  const tab = line.indexOf('\t');
  const mode = line.slice(0, tab);
  const expr = line.slice(tab + 1);
  const o: Record<string, unknown> = { mode, expr };
  try {
    const df = spark.sql(`SELECT ${expr}${mode === 'T' ? ' FROM t' : ''}`);
    const f = df.schema.fields[0]!;
    o.name = f.name;
    o.type = f.dataType.simpleString();
    o.values = df.collect().map((r) => {
      const v = r[f.name];
      if (v === null || v === undefined) return null;
      if (f.dataType === Types.STRING && typeof v === 'string') return v;
      return cellText(v, f.dataType);
    });
  } catch (e) {
    const err = e as Error;
    const m = /^\[([A-Z0-9_.]+)\]/.exec(err.message ?? '');
    o.error = m ? m[1] : err.name;
    o.message = String(err.message).split('\n')[0]!.slice(0, 200);
  }
  out.push(JSON.stringify(o));
}
writeFileSync(outFile!, out.join('\n') + '\n');
await spark.stop();
