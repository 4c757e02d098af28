/** Writes `files` CSV files of `perFile` rows `id,k<id % 7>` into `dir`, each moved in complete. */
function writeInput(root: string, dir: string, files: number, perFile: number): void {
  for (let f = 0; f < files; f++) {
    const text = Array.from({ length: perFile }, (_, i) => `${f * perFile + i},k${(f * perFile + i) % 7}`).join('\n') + '\n';
    writeFileSync(join(root, `f${f}.tmp`), text);
    renameSync(join(root, `f${f}.tmp`), join(dir, `part-${String(f).padStart(3, '0')}.csv`));
  }
}

/**
 * A file-to-file query as a child process, SIGKILLed at random moments and restarted from its
 * checkpointLocation: every input row is in the file sink's output exactly once (the file source's
 * offsets are written before a batch runs; the sink's manifest makes a re-run batch a no-op).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pgQuery, resolvePg, useScratchSchema } from '../helpers/postgres.js';
import { pgEnv, runTs, sleep, waitFor, type Child } from '../pipelines/helpers.js';
import { session, tempDir } from './helpers.js';

const scratch = useScratchSchema('dstreams_sql_crash');
const children: Child[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
});

describe('checkpointLocation: a killed and restarted query resumes exactly', () => {
  it('file source → file sink, SIGKILLed four times: each row once in the output', { timeout: 180_000 }, async () => {
    const root = tempDir();
    const inDir = join(root, 'in');
    const outDir = join(root, 'out');
    mkdirSync(inDir);
    const files = 60;
    const perFile = 50;
    writeInput(root, inDir, files, perFile);
    const spark = session();
    const count = async () => {
      try {
        return (await spark.read.schema('id INT, k STRING').json(outDir)).count();
      } catch {
        return 0;
      }
    };
    for (let run = 0; run < 5; run++) {
      const job = runTs('test/sql/fixtures/file-copy-job.ts', [inDir, outDir, join(root, 'cp')]);
      children.push(job);
      if (run < 4) {
        await job.waitForEvent((e) => e.event === 'batch', 120_000);
        await sleep(Math.floor(Math.random() * 300));
        job.child.kill('SIGKILL');
        await job.exit;
      } else {
        await waitFor('every row in the output', async () => (await count()) >= files * perFile, 120_000, 200);
        job.child.kill('SIGTERM');
        expect((await job.exit).code, job.stderr()).toBe(0);
      }
    }
    const ids = (await spark.read.schema('id INT, k STRING').json(outDir)).collect().map((r) => r.id as number);
    expect(ids.length).toBe(files * perFile);
    expect(new Set(ids).size).toBe(files * perFile);
  });

  it('file source → count per key → postgres sink (update), SIGKILLed three times: the table equals the independent count', { timeout: 180_000 }, async () => {
    const root = tempDir();
    const inDir = join(root, 'in');
    mkdirSync(inDir);
    const files = 40;
    const perFile = 70;
    writeInput(root, inDir, files, perFile);
    const expected: Record<string, number> = {};
    for (let id = 0; id < files * perFile; id++) expected[`k${id % 7}`] = (expected[`k${id % 7}`] ?? 0) + 1;
    const pg = await resolvePg();
    const url = `jdbc:postgresql://${pg.host}:${pg.port}/${pg.database}`;
    const table = `${scratch().schema}.counts`;
    const env = await pgEnv();
    const current = async (): Promise<Record<string, number>> => {
      try {
        return Object.fromEntries((await pgQuery<{ k: string; count: string }>(`SELECT k, count FROM ${table}`)).rows.map((r) => [r.k, Number(r.count)]));
      } catch {
        return {};
      }
    };
    for (let run = 0; run < 4; run++) {
      const job = runTs('test/sql/fixtures/postgres-count-job.ts', [inDir, join(root, 'cp'), url, table], env);
      children.push(job);
      if (run < 3) {
        await job.waitForEvent((e) => e.event === 'batch', 120_000);
        await sleep(Math.floor(Math.random() * 400));
        job.child.kill('SIGKILL');
        await job.exit;
      } else {
        await waitFor('every row counted', async () => Object.values(await current()).reduce((a, b) => a + b, 0) >= files * perFile, 120_000, 200);
        job.child.kill('SIGTERM');
        expect((await job.exit).code, job.stderr()).toBe(0);
      }
    }
    expect(await current()).toEqual(expected);
  });

  it("spark.conf's spark.sql.streaming.checkpointLocation is the default location (per query name)", async () => {
    const spark = session();
    const base = tempDir();
    spark.conf.set('spark.sql.streaming.checkpointLocation', base);
    const dir = tempDir();
    writeFileSync(join(dir, 'a.txt'), 'x\n');
    const out = tempDir();
    const q = await spark.readStream.text(dir).writeStream.format('text').queryName('copy').start(out);
    await q.processAllAvailable();
    await q.stop();
    const again = await spark.readStream.text(dir).writeStream.format('text').queryName('copy').start(out);
    await again.processAllAvailable();
    expect(again.id).toBe(q.id);
    expect(again.recentProgress).toEqual([]);
    expect((await spark.read.text(out)).collect()).toEqual([{ value: 'x' }]);
  });
});
