// new StreamingContext(options) refuses what it would otherwise ignore: an option it does not know
// (a misspelt `defaultParalellism` silently kept the default), named, with the known option it
// most likely meant; and a clock without getTimeMillis(), the method the engine calls on a clock.
import { describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext, SystemClock } from '../../src/index.js';

const make = (options: object): StreamingContext => new StreamingContext(options as never);

describe('unknown options', () => {
  it('a misspelt option is refused, naming it and the option it most likely meant', () => {
    expect(() => make({ batchDuration: 1000, defaultParalellism: 3 })).toThrow(
      new TypeError(
        "new StreamingContext: unknown option 'defaultParalellism' (did you mean 'defaultParallelism'?); the options are " +
          'batchDuration, clock, appName, checkpointDir, defaultParallelism, overlapCheckpointWrites, gracefulStopTimeout, ' +
          'applicationId, standbyReplicas, ui, workers, job, blockInterval, receiverWriteAheadLog, receiverMaxRate, ' +
          'backpressure, backpressureInitialRate, backpressurePID, receiverRestartDelay',
      ),
    );
    expect(() => make({ batchDuration: 1000, checkpointdir: '/tmp/x' })).toThrow(/unknown option 'checkpointdir' \(did you mean 'checkpointDir'\?\)/);
    expect(() => make({ batchDuration: 1000, blockIntervall: 50 })).toThrow(/'blockIntervall' \(did you mean 'blockInterval'\?\)/);
  });

  it('several are named together; a name close to none gets no suggestion', () => {
    expect(() => make({ batchDuration: 1000, foo: 1, appname: 'x' })).toThrow(/unknown options 'foo', 'appname' \(did you mean 'appName'\?\); the options are/);
  });

  it('an unknown option is refused even when undefined (it is still a misspelling)', () => {
    expect(() => make({ batchDuration: 1000, parallelism: undefined })).toThrow(/unknown option 'parallelism'/);
  });

  it('every known option is taken', () => {
    const ssc = new StreamingContext({
      batchDuration: 1000,
      clock: new ManualClock(),
      appName: 'all-options',
      defaultParallelism: 3,
      overlapCheckpointWrites: false,
      gracefulStopTimeout: 5000,
      workers: 1,
      blockInterval: 100,
      receiverWriteAheadLog: false,
      receiverMaxRate: 10,
      backpressure: false,
      backpressureInitialRate: 5,
      backpressurePID: { proportional: 1 },
      receiverRestartDelay: 1000,
      ui: false,
      checkpointDir: undefined,
    });
    expect(ssc.graph.defaultParallelism).toBe(3);
  });
});

describe('boolean options', () => {
  it("a boolean given as text or a number is refused, where 'true' silently left backpressure off", () => {
    for (const name of ['backpressure', 'receiverWriteAheadLog', 'overlapCheckpointWrites']) {
      expect(() => make({ batchDuration: 1000, [name]: 'true' })).toThrow(
        new TypeError(`new StreamingContext: ${name} must be true or false, got the string 'true'`),
      );
      expect(() => make({ batchDuration: 1000, [name]: 1 })).toThrow(`${name} must be true or false, got 1`);
    }
  });
});

describe('the clock', () => {
  for (const [what, clock] of [
    ['an object without getTimeMillis', {}],
    ['null', null],
    ['a function', () => 0],
    ['a number', 0],
    ['getTimeMillis not a function', { getTimeMillis: 5 }],
  ] as const) {
    it(`${what} is refused`, () => {
      expect(() => make({ batchDuration: 1000, clock })).toThrow(/new StreamingContext: clock must have a getTimeMillis\(\) method/);
    });
  }

  it('a ManualClock, a SystemClock or any object with getTimeMillis is taken', () => {
    for (const clock of [new ManualClock(), new SystemClock(), { getTimeMillis: () => 0 }]) {
      expect(new StreamingContext({ batchDuration: 1000, clock }).clock).toBe(clock);
    }
  });
});
