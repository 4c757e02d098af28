// A structured query's state store counts in the web UI's statistics and /metrics as a DStream
// state does: the aggregation's groups (it showed 0 keys while the query's own progress said
// numRowsTotal 8).
import { afterEach, describe, expect, it } from 'vitest';
import { StreamingContext } from '../../src/context/StreamingContext.js';
import { functions as F, MemoryStream, SparkSession } from '../../src/sql/index.js';
import '../../src/ui/index.js';
import { getJson, parseMetrics } from './helpers.js';

const contexts: StreamingContext[] = [];
StreamingContext.registerAttachment('test-structured-state-keys', (ssc) => void contexts.push(ssc));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  contexts.length = 0;
});

describe("a structured query's state keys", () => {
  it('the aggregation state store counts in REST statistics and /metrics', async () => {
    const previous = process.env.DSTREAMS_UI;
    process.env.DSTREAMS_UI = '127.0.0.1:0';
    const spark = new SparkSession({ appName: 'state-keys' });
    cleanups.push(async () => {
      await spark.stop();
      if (previous === undefined) delete process.env.DSTREAMS_UI;
      else process.env.DSTREAMS_UI = previous;
    });
    const input = new MemoryStream<number>(spark, 'integer');
    const counts = input.toDF().groupBy(F.expr('value % 8').alias('k')).count();
    const query = await counts.writeStream.format('memory').queryName('keys').outputMode('complete').start();
    input.addData(...Array.from({ length: 40 }, (_, i) => i));
    await query.processAllAvailable();
    const total = query.lastProgress!.stateOperators[0]!.numRowsTotal;
    expect(total).toBe(8);
    const ui = contexts.map((c) => c.uiWebUrl).find((u) => u !== undefined)!;
    const [app] = await getJson<{ id: string }[]>(`${ui}api/v1/applications`);
    const stats = await getJson<Record<string, unknown>>(`${ui}api/v1/applications/${app!.id}/streaming/statistics`);
    expect((stats.memory as { stateKeysInMemory: number }).stateKeysInMemory).toBe(8);
    const metrics = parseMetrics(await (await fetch(`${ui}metrics`)).text());
    const keys = [...metrics].filter(([name]) => name.startsWith('dstreams_state_keys{'));
    expect(keys.reduce((n, [, v]) => n + v, 0), JSON.stringify(keys)).toBe(8);
  });
});
