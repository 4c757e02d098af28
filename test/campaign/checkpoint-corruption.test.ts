// Bad-input campaign (issue 16), checkpoints: a stateful job's checkpoint directory damaged at
// many places — every file truncated, bytes flipped at several offsets, one file deleted, no
// permissions — then resumed with getOrCreate. Every case must end in either the correct totals
// (the input is replayable: a checkpoint that fell back to an earlier batch re-runs it) or an
// error that names the checkpoint; never a hang, never wrong totals (records lost or doubled).
// Tests run as root, for whom chmod does not stop reads or writes: those cases must resume
// correctly; an unprivileged open of a chmod'ed store is covered in test/checkpoint/errors.test.ts.
import { chmodSync, cpSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync, openSync, readSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from '../recovery/helpers.js';
import { recordCampaign } from './tally.js';

afterAll(cleanupTempDirs);

const ROWS = 20;
const KEYS = 7;

/** The job: replayable input (its records are a function of the batch time), a running count per key. */
function job(dir: string, clock: ManualClock, out: Map<number, Map<number, number>>, compacted: boolean): StreamingContext {
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  ssc
    .rateStream<number>({ rowsPerBatch: ROWS })
    .map((n): [number, number] => [n % KEYS, 1])
    .updateStateByKey((vs: number[], s: number | undefined) => (s ?? 0) + vs.length)
    // Compacted: the store is compacted every 2 batches, so its data is in table (.ldb) files too.
    .checkpoint(compacted ? 2000 : 60_000)
    .foreachRDD((rdd, time) => void out.set(time, new Map(rdd.collect())));
  return ssc;
}

/** The totals after batch `t` had the job never stopped: every record 0 … (t/1000 + 1)·ROWS − 1 counted once, by key. */
function expectedAt(t: number): Map<number, number> {
  const m = new Map<number, number>();
  // rateStream's default record: the sequence number `time / batch * rows + index`, from batch 1000.
  for (let n = ROWS; n < (t / 1000 + 1) * ROWS; n++) m.set(n % KEYS, (m.get(n % KEYS) ?? 0) + 1);
  return m;
}

function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

function flip(file: string, offset: number): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

type Damage = { name: string; apply: (file: string) => void };

function damagesFor(size: number): Damage[] {
  const out: Damage[] = [
    { name: 'deleted', apply: (f) => unlinkSync(f) },
    { name: 'truncated to 0', apply: (f) => truncateSync(f, 0) },
    { name: 'chmod 000', apply: (f) => chmodSync(f, 0) },
  ];
  if (size > 1) {
    out.push({ name: `truncated to ${size >> 1}`, apply: (f) => truncateSync(f, size >> 1) });
    out.push({ name: `truncated to ${size - 1}`, apply: (f) => truncateSync(f, size - 1) });
  }
  for (const at of new Set([0, Math.floor(size / 3), Math.floor((2 * size) / 3), size - 1].filter((o) => o >= 0 && size > 0))) {
    out.push({ name: `byte ${at} flipped`, apply: (f) => flip(f, at) });
  }
  return out;
}

/** The case directory a message names, to print messages without it. */
const dir0 = (m: string): RegExp => /\/tmp\/[^ '":]*cp\d+/g;

const withTimeout = <T,>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`HANG: ${what} after ${ms} ms`)), ms))]);

describe('checkpoint directories damaged at many places', () => {
  it.each([false, true])('every case resumes with the correct totals or fails naming the checkpoint; none hangs or miscounts (compacted: %s)', { timeout: 240_000 }, async (compacted) => {
    // A checkpoint of 6 completed batches.
    const template = path.join(tempDir('dstreams-campaign-cp-'), 'cp');
    {
      const clock = new ManualClock(0);
      const out = new Map<number, Map<number, number>>();
      const ssc = job(template, clock, out, compacted);
      await ssc.start();
      await clock.advance(6000);
      await ssc.stop();
      expect(out.get(6000)).toEqual(expectedAt(6000));
    }
    const files = filesOf(template);
    expect(files.length).toBeGreaterThan(3);

    const outcomes: Array<{ file: string; damage: string; result: 'correct' | 'error'; message?: string }> = [];
    const problems: string[] = [];
    let n = 0;
    for (const file of files) {
      for (const damage of damagesFor(statSync(path.join(template, file)).size)) {
        const dir = path.join(tempDir('dstreams-campaign-case-'), `cp${n++}`);
        cpSync(template, dir, { recursive: true });
        damage.apply(path.join(dir, file));
        const clock = new ManualClock(6000);
        const out = new Map<number, Map<number, number>>();
        let ssc: StreamingContext | undefined;
        try {
          await withTimeout(
            (async () => {
              ssc = await StreamingContext.getOrCreate(dir, () => job(dir, clock, out, compacted));
              await ssc.start();
              await clock.advance(2000);
              await ssc.stop();
              await ssc.awaitTermination();
            })(),
            20_000,
            `${file} ${damage.name}`,
          );
          const got = out.get(8000);
          if (got && JSON.stringify([...got].sort()) === JSON.stringify([...expectedAt(8000)].sort())) {
            outcomes.push({ file, damage: damage.name, result: 'correct' });
          } else {
            problems.push(`${file} ${damage.name}: resumed with wrong totals ${JSON.stringify(got && [...got])}`);
          }
        } catch (e) {
          const message = String((e as Error)?.message ?? e);
          // A clear error names the checkpoint directory (or the store) — and is not a hang.
          if (/^HANG/.test(message) || !(message.includes(dir) || /checkpoint/i.test(message))) {
            problems.push(`${file} ${damage.name}: ${message.slice(0, 300)}`);
          } else outcomes.push({ file, damage: damage.name, result: 'error', message });
          await ssc?.stop().catch(() => undefined);
        } finally {
          try {
            chmodSync(path.join(dir, file), 0o644);
          } catch {
            /* deleted */
          }
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
    const errors = outcomes.filter((o) => o.result === 'error').length;
    const sample = [...new Set(outcomes.filter((o) => o.message).map((o) => o.message!.replace(dir0(o.message!), '<dir>').slice(0, 160)))];
    console.info(`checkpoint campaign errors (distinct, first 160 chars):\n  ${sample.slice(0, 12).join('\n  ')}`);
    recordCampaign(`checkpoint directory${compacted ? ', compacted' : ''} (files × truncate/flip/delete/chmod)`, {
      cases: outcomes.length + problems.length,
      correct: outcomes.length - errors,
      errors,
      lost: problems.length,
    });
    console.info(
      `checkpoint campaign: ${outcomes.length + problems.length} cases over ${files.length} files (${files.join(', ')}): ` +
        `${outcomes.length - errors} resumed correctly, ${errors} clear errors, ${problems.length} problems`,
    );
    expect(problems).toEqual([]);
  });
});
