// Joining streams of different slide durations fails when the join is defined, naming the join
// the user called — not the transform it is made of ("cannot transform streams …").
import { describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';

describe('two-stream operations on streams with different slide durations', () => {
  const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
  const pairs = ssc.queueStream<[string, number]>([]);
  const slower = pairs.window(2000, 2000);

  for (const op of ['join', 'leftOuterJoin', 'rightOuterJoin', 'fullOuterJoin', 'cogroup'] as const) {
    it(`${op} names itself`, () => {
      expect(() => pairs[op](slower)).toThrow(new Error(`cannot ${op} streams with different slide durations (1000 ms and 2000 ms)`));
    });
  }

  it('transformWith and transform name themselves', () => {
    expect(() => pairs.transformWith(slower, (a) => a)).toThrow('cannot transformWith streams with different slide durations (1000 ms and 2000 ms)');
    expect(() => ssc.transform([pairs, slower], (rdds) => rdds[0]!)).toThrow('cannot transform streams with different slide durations (1000 ms and 2000 ms)');
  });

  it('a join of streams of another context names the join', () => {
    const other = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() }).queueStream<[string, number]>([]);
    expect(() => pairs.join(other)).toThrow('cannot join streams of different StreamingContexts');
  });
});
