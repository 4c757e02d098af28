// Spark's WindowOperationsSuite, window part: batches of 1 s, inputs per batch → expected output
// per slide. The window holds its batches oldest first, so these compare in order.
import { describe, expect, it } from 'vitest';
import { Seconds } from '../../src/index.js';
import { runStream } from './helpers.js';

const input = [[0], [1], [2], [3], [4], [5]];

async function testWindow(expected: number[][], windowDuration = Seconds(2), slideDuration = Seconds(1)) {
  const numBatches = expected.length * (slideDuration / 1000);
  const run = await runStream(input, (s) => s.window(windowDuration, slideDuration), numBatches);
  expect(run.outputs).toEqual(expected);
  // An RDD only at the slide times.
  expect(run.times).toEqual(expected.map((_, i) => (i + 1) * slideDuration));
}

describe('window', () => {
  it('basic window', () => testWindow([[0], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]));

  it('tumbling window', () => testWindow([[0, 1], [2, 3], [4, 5]], Seconds(2), Seconds(2)));

  it('larger window', () => testWindow([[0, 1], [0, 1, 2, 3], [2, 3, 4, 5], [4, 5]], Seconds(4), Seconds(2)));

  it('non-overlapping window', () => testWindow([[1, 2], [4, 5]], Seconds(2), Seconds(3)));

  it('slide defaults to the stream slide', async () => {
    const run = await runStream(input, (s) => s.window(Seconds(3)), 4);
    expect(run.outputs).toEqual([[0], [0, 1], [0, 1, 2], [1, 2, 3]]);
  });

  it('window of a window is cut on the first window’s slides', async () => {
    // window(2, 2) produces at 2, 4, 6; its window(4, 4) at 4 covers the windows at 2 and 4.
    const run = await runStream(input, (s) => s.window(Seconds(2), Seconds(2)).window(Seconds(4), Seconds(4)), 8);
    expect(run.times).toEqual([4000, 8000]);
    expect(run.outputs).toEqual([[0, 1, 2, 3], [4, 5]]);
  });

  it('window over a derived stream computes the batches no output read', async () => {
    // map's RDD at odd times is read only by the window.
    const run = await runStream(input, (s) => s.map((x) => x * 10).window(Seconds(2), Seconds(2)), 6);
    expect(run.outputs).toEqual([[0, 10], [20, 30], [40, 50]]);
  });

  it('elements of a window keep their batch and partition order', async () => {
    const run = await runStream([[1, 2, 3, 4], [5, 6]], (s) => s.window(Seconds(2)).glom(), 2);
    expect(run.outputs).toEqual([[[1, 2], [3, 4]], [[1, 2], [3, 4], [5], [6]]]);
  });

  it('countByWindow', async () => {
    const run = await runStream([[1], [1], [1, 2], [0], [], []], (s) => s.countByWindow(Seconds(2), Seconds(1)), 6);
    expect(run.outputs).toEqual([[1], [2], [3], [3], [1], [0]]);
  });

  it('countByWindow of an empty window is [0], at the slide times only', async () => {
    const run = await runStream([[], [1, 2, 3], [4]], (s) => s.countByWindow(Seconds(4), Seconds(2)), 8);
    expect(run.times).toEqual([2000, 4000, 6000, 8000]);
    expect(run.outputs).toEqual([[3], [4], [1], [0]]);
  });

  it('reduceByWindow without an inverse', async () => {
    const run = await runStream(
      [[1, 2], [3], [], [], [4]],
      (s) => s.reduceByWindow((a, b) => a + b, null, Seconds(2), Seconds(1)),
      5,
    );
    // Nothing to reduce in an empty window.
    expect(run.outputs).toEqual([[3], [6], [3], [], [4]]);
  });

  it('reduceByWindow in Scala’s form (f, windowDuration, slideDuration): a number second means no inverse', async () => {
    const run = await runStream([[1, 2], [3], [], [], [4]], (s) => s.reduceByWindow((a, b) => a + b, Seconds(2), Seconds(1)), 5);
    expect(run.outputs).toEqual([[3], [6], [3], [], [4]]);
    const every2 = await runStream([[1, 2], [3], [5], [7]], (s) => s.reduceByWindow((a, b) => a + b, Seconds(2)), 4);
    expect(every2.outputs).toEqual([[3], [6], [8], [12]]);
  });

  it('reduceByWindow with an inverse keeps the running value', async () => {
    const run = await runStream(
      [[1, 2], [3], [], [], [4]],
      (s) => s.reduceByWindow((a, b) => a + b, (a, b) => a - b, Seconds(2), Seconds(1)),
      5,
      { checkpoint: true },
    );
    expect(run.outputs).toEqual([[3], [6], [3], [0], [4]]);
  });
});
