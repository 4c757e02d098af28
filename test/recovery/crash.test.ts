// Crash recovery: a stateful + windowed job (test/fixtures/recovery-words.ts: updateStateByKey,
// mapWithState with a timeout, reduceByKeyAndWindow with an inverse, countByWindow over a
// rateStream) runs as a child process that the test kills with SIGKILL at random moments —
// inside batches, between them, while it starts and restores — and restarts with getOrCreate
// until it reaches the target batch. Every batch's output (files keyed by batch time: a batch run
// again after a crash rewrites its own) and the final checkpointed state must equal those of an
// uninterrupted run of the same batches: nothing lost, nothing counted twice.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_UNWRITTEN_FAST_BATCHES } from '../../src/checkpoint/index.js';
import { expectedTotals } from '../fixtures/recovery-words.js';
import { cleanupTempDirs, sleep, startJob, tempDir, type Child } from './helpers.js';

afterEach(cleanupTempDirs);

const TARGET_BATCHES = 60;
const KILLS = 7;
/** A killed run is killed by the time it completed this many batches (so that every kill happens before the end). */
const MAX_BATCHES_PER_KILLED_RUN = 5;

const readOutputs = (dir: string): Map<string, string> =>
  new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]),
  );

const lastOf = (child: Child, key: 'started' | 'completed'): number => {
  let last = 0;
  for (const l of child.lines) if (typeof l[key] === 'number') last = Math.max(last, l[key] as number);
  return last;
};

interface Kill {
  run: number;
  how: string;
  /** What the killed run recovered from (null: a fresh start; undefined: killed before getOrCreate returned). */
  recovered: number | null | undefined;
  /** The last batch it had started and completed. */
  started: number;
  completed: number;
}

describe('crash recovery with SIGKILL', () => {
  // Strict: a batch completes once its checkpoint is durable, so a resumed run starts right after
  // the last batch the killed run reported completed (or one it completed unreported). Group
  // commit (the default): commits are written while the next batches run, so up to
  // MAX_UNWRITTEN_BATCHES reported batches may run again (MAX_UNWRITTEN_FAST_BATCHES when batches
  // come less than GROUP_LINGER_MS apart, as here) — with the same outputs.
  it.each([
    { overlap: false, mode: 'strict: checkpoint durable before a batch completes' },
    { overlap: true, mode: 'group commit, the default' },
  ])(
    `killed ${KILLS} times at random moments and resumed with getOrCreate: every batch and the final state as in an uninterrupted run ($mode)`,
    async ({ overlap }) => {
      const env = { RECOVERY_OVERLAP_WRITES: overlap ? '1' : '0' };
      /** How far before the last reported completed batch a resumed run may start. */
      const lag = overlap ? MAX_UNWRITTEN_FAST_BATCHES * 1000 : 0;
      // The uninterrupted run (no slow output operations: they change nothing but timing).
      const refCp = tempDir();
      const refOut = tempDir();
      const ref = startJob(['run', refCp, refOut, String(TARGET_BATCHES)], { RECOVERY_SLOW_MS: '0' });
      await ref.line((l) => l.done === true, 120_000);
      expect((await ref.exited).code, ref.stderr()).toBe(0);
      const expected = readOutputs(refOut);

      // The run that is killed again and again.
      const cp = tempDir();
      const out = tempDir();
      const kills: Kill[] = [];
      let previous: { started: number; completed: number } = { started: 0, completed: 0 };
      for (let run = 0; ; run++) {
        const child = startJob(['run', cp, out, String(TARGET_BATCHES)], env);
        if (kills.length < KILLS) {
          // Mostly a little after the run made progress (anywhere in a batch or between two), and
          // every third time at a random moment from the spawn (while it starts or restores, too).
          const completedBatches = (): number => child.lines.filter((l) => typeof l.completed === 'number').length;
          const enough = child.line(() => completedBatches() >= MAX_BATCHES_PER_KILLED_RUN).catch(() => undefined);
          let how: string;
          if (run % 3 === 2) {
            const wait = 300 + Math.floor(Math.random() * 1500);
            how = `${wait} ms after the spawn`;
            await Promise.race([sleep(wait), enough]);
          } else {
            await child.line((l) => typeof l.completed === 'number');
            const wait = Math.floor(Math.random() * 150);
            how = `${wait} ms after its first completed batch`;
            await Promise.race([sleep(wait), enough]);
          }
          if (child.lines.some((l) => l.done === true)) {
            await child.exited;
            break; // finished before the kill (a slow machine): nothing left to do
          }
          child.proc.kill('SIGKILL');
          const { signal } = await child.exited;
          expect(signal, child.stderr()).toBe('SIGKILL');
          const recovered = child.lines.find((l) => 'recovered' in l)?.recovered as number | null | undefined;
          const kill: Kill = {
            run,
            how,
            recovered,
            started: lastOf(child, 'started'),
            completed: lastOf(child, 'completed'),
          };
          kills.push(kill);
          if (recovered !== undefined) {
            // It resumed from the last batch the killed run completed: at least the last one it
            // reported (with group commit, up to MAX_UNWRITTEN_FAST_BATCHES before), at most the last one it started
            // (committed but killed before reporting).
            expect(recovered ?? 0, JSON.stringify({ kill, previous })).toBeGreaterThanOrEqual(previous.completed - lag);
            expect(recovered ?? 0, JSON.stringify({ kill, previous })).toBeLessThanOrEqual(Math.max(previous.started, previous.completed));
            previous = { started: Math.max(kill.started, recovered ?? 0), completed: Math.max(kill.completed, recovered ?? 0) };
          }
          continue;
        }
        await child.line((l) => l.done === true, 120_000);
        expect((await child.exited).code, child.stderr()).toBe(0);
        const recovered = child.lines.find((l) => 'recovered' in l)!.recovered as number;
        expect(recovered).toBeGreaterThanOrEqual(previous.completed - lag);
        expect(recovered).toBeLessThanOrEqual(Math.max(previous.started, previous.completed));
        break;
      }

      if (process.env.RECOVERY_VERBOSE) console.log(kills);
      expect(kills.length, JSON.stringify(kills)).toBeGreaterThanOrEqual(5);
      // Some kills landed inside a batch: it had started and not completed.
      expect(
        kills.filter((k) => k.started > k.completed).length,
        `kills inside a batch: ${JSON.stringify(kills)}`,
      ).toBeGreaterThanOrEqual(1);

      // Every batch's output, and the final checkpoint's content, as in the uninterrupted run.
      const actual = readOutputs(out);
      expect([...actual.keys()]).toEqual([...expected.keys()]);
      for (const [file, content] of expected) expect(actual.get(file), file).toBe(content);
      expect(expected.size).toBeGreaterThan(TARGET_BATCHES * 3);

      // And the uninterrupted run is right: its updateStateByKey totals are those computed directly
      // from the words of each batch (each batch counted exactly once).
      const final = JSON.parse(expected.get('final.json')!) as {
        lastCompletedTime: number;
        streams: Record<string, { state: string[] }>;
      };
      expect(final.lastCompletedTime).toBe(TARGET_BATCHES * 1000);
      const times = Array.from({ length: TARGET_BATCHES }, (_, i) => (i + 1) * 1000);
      const totals = [...expectedTotals(times)].map((e) => JSON.stringify(e)).sort();
      expect(final.streams.totals!.state).toEqual(totals);
      expect(JSON.parse(expected.get(`${TARGET_BATCHES * 1000}-totals.json`)!)).toEqual(totals);
    },
    300_000,
  );
});
