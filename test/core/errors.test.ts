// Misuse gets a clear error; a failing user function fails its batch and nothing is swallowed.
import { describe, expect, it, vi } from 'vitest';
import {
  ManualClock,
  StreamingContext,
  type CompletedBatchInfo,
  type DStream,
  type OutputOperationInfo,
} from '../../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function manual(): { ssc: StreamingContext; clock: ManualClock } {
  const clock = new ManualClock();
  return { ssc: new StreamingContext({ batchDuration: 1000, clock }), clock };
}

describe('durations', () => {
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1000' as unknown as number]) {
    it(`batchDuration ${String(bad)} is refused with a clear error`, () => {
      expect(() => new StreamingContext({ batchDuration: bad })).toThrow(
        /batchDuration must be a positive whole number of milliseconds/,
      );
    });
  }

  it("a duration given as a string is named as one (a value from process.argv, say)", () => {
    expect(() => new StreamingContext({ batchDuration: '1000' as unknown as number })).toThrow("got the string '1000'");
  });

  it('a missing options object is refused', () => {
    expect(() => new StreamingContext(undefined as never)).toThrow(/batchDuration/);
  });

  it('defaultParallelism must be a positive integer', () => {
    expect(() => new StreamingContext({ batchDuration: 1000, defaultParallelism: 0 })).toThrow(/defaultParallelism/);
    expect(() => new StreamingContext({ batchDuration: 1000, defaultParallelism: 1.5 })).toThrow(/defaultParallelism/);
  });

  it('remember and stream checkpoint intervals must be positive whole durations', () => {
    const { ssc } = manual();
    for (const bad of [0, -1000, 1.5, Number.NaN]) {
      expect(() => ssc.remember(bad)).toThrow(/remember duration must be a positive whole number/);
    }
    const s = ssc.queueStream<number>([]);
    expect(() => s.checkpoint(0)).toThrow(/checkpoint interval/);
    expect(() => s.checkpoint(1500)).toThrow(/multiple/);
  });

  it('awaitTerminationOrTimeout refuses a timeout that is not a number', async () => {
    const { ssc } = manual();
    await expect(ssc.awaitTerminationOrTimeout(Number.NaN)).rejects.toThrow(/needs a number of milliseconds, got NaN/);
    // The string shows as a string (it read "got 10" as if a number were refused).
    await expect(ssc.awaitTerminationOrTimeout('10' as unknown as number)).rejects.toThrow(/needs a number of milliseconds, got the string '10'/);
  });

  it('bad partition counts and arguments are refused when the stream is defined', () => {
    const { ssc } = manual();
    const s = ssc.queueStream<number>([]);
    expect(() => s.repartition(0)).toThrow(/positive integer/);
    expect(() => s.repartition(2.5)).toThrow(/positive integer/);
    expect(() => s.map((x) => [x, 1] as [number, number]).reduceByKey((a, b) => a + b, 0)).toThrow(
      /numPartitions/,
    );
    expect(() => s.pprint(-1)).toThrow(/pprint/);
    expect(() => s.pprint('5' as unknown as number)).toThrow(/pprint\(num\) needs a non-negative integer, got the string '5'/);
    expect(() => s.foreachRDD(undefined as never)).toThrow(/foreachRDD needs a function/);
    expect(() => s.saveAsTextFiles('')).toThrow(/prefix/);
    expect(() => ssc.queueStream(undefined as never)).toThrow(/queueStream needs an array/);
    expect(() => ssc.checkpoint('')).toThrow(/directory/);
  });

  it('a function argument that is none is refused when the stream is defined, naming the operation', () => {
    const { ssc } = manual();
    const s = ssc.queueStream<number>([]) as DStream<unknown>;
    const kv = s.map((x): [unknown, number] => [x, 1]);
    const bad: [string, () => unknown][] = [
      ['map needs a function, got undefined', () => s.map(undefined as never)],
      ["filter needs a function, got the string 'x'", () => s.filter('x' as never)],
      ['flatMap needs a function, got null', () => s.flatMap(null as never)],
      ['mapPartitions needs a function, got undefined', () => s.mapPartitions(undefined as never)],
      ['reduce needs a function, got 3', () => s.reduce(3 as never)],
      ['transform needs a function, got undefined', () => s.transform(undefined as never)],
      ['transformWith needs a function, got undefined', () => s.transformWith(s, undefined as never)],
      ['foreachRDD needs a function, got an object (Object)', () => s.foreachRDD({} as never)],
      ['mapValues needs a function, got undefined', () => kv.mapValues(undefined as never)],
      ['flatMapValues needs a function, got undefined', () => kv.flatMapValues(undefined as never)],
      ['reduceByKey needs a function, got undefined', () => kv.reduceByKey(undefined as never)],
      ['combineByKey needs a function as mergeValue, got undefined', () => kv.combineByKey((v) => v, undefined as never, (a) => a)],
      ['combineByKey needs a function as mergeCombiners, got undefined', () => kv.combineByKey((v) => v, (c) => c, undefined as never)],
    ];
    for (const [message, define] of bad) expect(define, message).toThrow(new TypeError(message));
  });

  it('a second stream that is none is refused when defined: union, the joins, transformWith', () => {
    const { ssc } = manual();
    const s = ssc.queueStream<[string, number]>([]);
    expect(() => s.union(undefined as never)).toThrow(new TypeError('union needs a DStream, got undefined'));
    expect(() => s.transformWith(null as never, (a) => a)).toThrow(new TypeError('transformWith needs a DStream, got null'));
    for (const op of ['join', 'leftOuterJoin', 'rightOuterJoin', 'fullOuterJoin', 'cogroup'] as const) {
      expect(() => s[op](undefined as never), op).toThrow(new TypeError(`${op} needs a DStream, got undefined`));
      expect(() => s[op]([['a', 1]] as never), op).toThrow(new TypeError(`${op} needs a DStream, got an array of 1 element`));
    }
  });

  it('ssc.union and ssc.transform check their streams and function when defined; queueStream its elements (found by review: they failed a batch later, with a bare TypeError)', () => {
    const { ssc } = manual();
    const s = ssc.queueStream<number>([]);
    expect(() => ssc.union(5 as never)).toThrow(new TypeError('ssc.union needs a DStream, got 5'));
    expect(() => ssc.transform('x' as never, (r) => r[0]!)).toThrow(/ssc.transform needs an array of DStreams, got the string 'x'/);
    expect(() => ssc.transform([5] as never, (r) => r[0]!)).toThrow(new TypeError('ssc.transform needs a DStream, got 5'));
    expect(() => ssc.transform([s], 5 as never)).toThrow(new TypeError('ssc.transform needs a function, got 5'));
    expect(() => ssc.queueStream([[1], 5, null] as never)).toThrow(new TypeError('queueStream elements must be arrays or RDDs, got 5 at index 1'));
  });

  it('a stream checkpoint interval with no checkpoint directory is refused at start(), as Spark\'s validateAtStart', async () => {
    const { ssc } = manual();
    ssc.queueStream<number>([[1]]).map((x) => x).checkpoint(2000).foreachRDD(() => undefined);
    await expect(ssc.start()).rejects.toThrow(/checkpoint\(2000\) on MappedDStream needs a checkpoint directory: call ssc.checkpoint\(dir\) before start\(\)/);
    await ssc.stop();
  });

  it('a partition count that is no number is refused when defined, named as what it is and under its operation', () => {
    const { ssc } = manual();
    const s = ssc.queueStream<[string, number]>([]);
    const got = "numPartitions must be a positive integer, got the string '2'";
    expect(() => s.reduceByKey((a, b) => a + b, '2' as never)).toThrow(`reduceByKey: ${got}`);
    expect(() => s.groupByKey('2' as never)).toThrow(`groupByKey: ${got}`);
    expect(() => s.combineByKey((v) => v, (c) => c, (a) => a, '2' as never)).toThrow(`combineByKey: ${got}`);
    expect(() => s.join(s, '2' as never)).toThrow(`join: ${got}`);
    expect(() => s.repartition('2' as never)).toThrow(`repartition: ${got}`);
    expect(() => s.countByValue(0)).toThrow('countByValue: numPartitions must be a positive integer, got 0');
    expect(s.reduceByKey((a, b) => a + b, undefined)).toBeDefined();
  });
});

describe('lifecycle misuse', () => {
  it('adding a transformation or output after start() throws', async () => {
    const { ssc } = manual();
    const s = ssc.queueStream<number>([]);
    s.foreachRDD(() => undefined);
    await ssc.start();
    const after = /after the StreamingContext has started/;
    expect(() => s.map((x) => x)).toThrow(after);
    expect(() => s.filter(() => true)).toThrow(after);
    expect(() => s.union(s)).toThrow(after);
    expect(() => s.count()).toThrow(after);
    expect(() => s.transform((r) => r)).toThrow(after);
    expect(() => s.foreachRDD(() => undefined)).toThrow(after);
    expect(() => s.pprint()).toThrow(after);
    expect(() => s.saveAsTextFiles('/tmp/x')).toThrow(after);
    expect(() => ssc.queueStream([[1]])).toThrow(after);
    expect(() => ssc.union(s, s)).toThrow(after);
    expect(() => ssc.transform([s], (r) => r[0]!)).toThrow(after);
    expect(() => ssc.remember(5000)).toThrow(after);
    expect(() => ssc.checkpoint('/tmp/cp')).toThrow(after);
    await ssc.stop();
    expect(() => s.map((x) => x)).toThrow(/stopped/);
  });

  it('start() with no output operation throws', async () => {
    const { ssc } = manual();
    ssc.queueStream([[1]]).map((x) => x);
    await expect(ssc.start()).rejects.toThrow(/No output operations registered/);
    expect(ssc.state).toBe('initialized');
  });

  it('starting a stopped context throws', async () => {
    const { ssc } = manual();
    ssc.queueStream([[1]]).foreachRDD(() => undefined);
    await ssc.stop();
    await expect(ssc.start()).rejects.toThrow(/stopped and cannot be started again/);
  });

  it('ssc.union and ssc.transform need at least one stream', () => {
    const { ssc } = manual();
    expect(() => ssc.union()).toThrow(/at least one stream/);
    expect(() => ssc.transform([], () => undefined as never)).toThrow(/at least one stream/);
  });

  it('starting twice only warns, as Spark (it throws only for a stopped context)', async () => {
    const { ssc, clock } = manual();
    const seen: number[] = [];
    ssc.queueStream([[1]]).foreachRDD((rdd) => void seen.push(...rdd.collect()));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await ssc.start();
      await expect(ssc.start()).resolves.toBeUndefined();
      await ssc.start();
      expect(warn.mock.calls).toEqual([['[dstreams] StreamingContext has already been started']]); // once
      expect(ssc.state).toBe('active');
      await clock.advance(1000);
      expect(seen).toEqual([1]); // one context running, not two
    } finally {
      warn.mockRestore();
      await ssc.stop();
    }
    await expect(ssc.start()).rejects.toThrow(/stopped and cannot be started again/);
  });

  it('a start refused before the context started may be tried again', async () => {
    const { ssc } = manual();
    const s = ssc.queueStream([[1]]);
    await expect(ssc.start()).rejects.toThrow(/No output operations registered/);
    s.foreachRDD(() => undefined);
    await expect(ssc.start()).resolves.toBeUndefined();
    expect(ssc.state).toBe('active');
    await ssc.stop();
  });
});

/** A context whose one batch runs `build`'s output; records listeners' failure reasons. */
async function failingRun(build: (s: DStream<number>) => void): Promise<{
  advance: Promise<void>;
  ssc: StreamingContext;
  clock: ManualClock;
  batches: CompletedBatchInfo[];
  outputs: OutputOperationInfo[];
}> {
  const { ssc, clock } = manual();
  const batches: CompletedBatchInfo[] = [];
  const outputs: OutputOperationInfo[] = [];
  ssc.addStreamingListener({
    onBatchCompleted: (i) => void batches.push(i),
    onOutputOperationCompleted: (i) => void outputs.push(i),
  });
  build(ssc.queueStream([[1, 2, 3], [4], [5]]));
  await ssc.start();
  const advance = clock.advance(1000);
  advance.catch(() => undefined); // checked by the caller
  return { advance, ssc, clock, batches, outputs };
}

describe('a user function that throws fails its batch', () => {
  const cases: [string, (s: DStream<number>, err: unknown) => void, boolean][] = [
    [
      'in map',
      (s, err) =>
        s
          .map((x) => {
            if (x === 2) throw err;
            return x;
          })
          .foreachRDD((rdd) => void rdd.collect()),
      true,
    ],
    [
      'in foreachRDD (sync)',
      (s, err) =>
        s.foreachRDD(() => {
          throw err;
        }),
      true,
    ],
    [
      'in foreachRDD (async)',
      (s, err) =>
        s.foreachRDD(async () => {
          await sleep(2);
          throw err;
        }),
      true,
    ],
    [
      'in transform',
      (s, err) =>
        s
          .transform(() => {
            throw err;
          })
          .foreachRDD(() => undefined),
      false,
    ],
    [
      'in reduceByKey’s function',
      (s, err) =>
        s
          .map((x) => [x % 2, x] as [number, number])
          .reduceByKey(() => {
            throw err;
          })
          .foreachRDD((rdd) => void rdd.collect()),
      true,
    ],
  ];

  for (const [where, build, hasOutputEvent] of cases) {
    it(where, async () => {
      const err = new Error(`boom ${where}`);
      const run = await failingRun((s) => build(s, err));
      await expect(run.advance).rejects.toBe(err);
      await expect(run.ssc.awaitTermination()).rejects.toBe(err);
      expect(run.batches).toHaveLength(1);
      expect(run.batches[0]!.batchTime).toBe(1000);
      expect(run.batches[0]!.failureReason).toContain(`boom ${where}`);
      if (hasOutputEvent) {
        expect(run.outputs).toHaveLength(1);
        expect(run.outputs[0]!.failureReason).toContain(`boom ${where}`);
      }
      // The context stopped: no later batch runs.
      expect(run.ssc.state).toBe('stopped');
      await run.clock.advance(5000);
      expect(run.batches).toHaveLength(1);
      expect(await run.ssc.awaitTerminationOrTimeout(10).catch((e: unknown) => e)).toBe(err);
    });
  }

  for (const [label, value] of [
    ['a string', 'plain string thrown'],
    ['undefined', undefined],
    ['null', null],
  ] as const) {
    for (const where of ['in foreachRDD', 'in transform'] as const) {
      it(`throwing ${label} ${where} still fails the batch`, async () => {
        const run = await failingRun((s) => {
          const out =
            where === 'in transform'
              ? s.transform(() => {
                  throw value;
                })
              : s;
          out.foreachRDD(() => {
            if (where === 'in foreachRDD') throw value;
          });
        });
        const advanceError = await run.advance.then(
          () => 'resolved',
          (e: unknown) => ({ e }),
        );
        expect(advanceError).not.toBe('resolved');
        const termination = await run.ssc.awaitTermination().then(
          () => 'resolved',
          (e: unknown) => ({ e }),
        );
        expect(termination).not.toBe('resolved');
        expect((termination as { e: unknown }).e).toBe((advanceError as { e: unknown }).e);
        if (typeof value === 'string') expect((termination as { e: unknown }).e).toBe(value);
        expect(run.batches[0]!.failureReason).toBeTruthy();
      });
    }
  }

  it('the first failing output’s error is the one reported; later outputs of the batch still run', async () => {
    const first = new Error('first');
    const second = new Error('second');
    let thirdRan = false;
    const run = await failingRun((s) => {
      s.foreachRDD(() => {
        throw first;
      });
      s.foreachRDD(async () => {
        throw second;
      });
      s.foreachRDD(() => void (thirdRan = true));
    });
    await expect(run.advance).rejects.toBe(first);
    await expect(run.ssc.awaitTermination()).rejects.toBe(first);
    expect(thirdRan).toBe(true);
    expect(run.outputs.map((o) => o.failureReason?.split('\n')[0])).toEqual([
      'Error: first',
      'Error: second',
      undefined,
    ]);
  });

  it('a batch that fails after others succeeded: earlier outputs stand, awaitTermination rejects', async () => {
    const { ssc, clock } = manual();
    const seen: number[][] = [];
    const err = new Error('third batch');
    ssc.queueStream([[1], [2], [3], [4]]).foreachRDD((rdd, t) => {
      if (t === 3000) throw err;
      seen.push(rdd.collect());
    });
    await ssc.start();
    const waiting = ssc.awaitTermination();
    await expect(clock.advance(4000)).rejects.toBe(err);
    await expect(waiting).rejects.toBe(err);
    expect(seen).toEqual([[1], [2]]);
  });
});

describe('a listener that throws', () => {
  it('surfaces through awaitTermination', async () => {
    const { ssc, clock } = manual();
    const err = new Error('listener broke');
    ssc.addStreamingListener({
      onBatchCompleted: () => {
        throw err;
      },
    });
    const others: number[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (i) => void others.push(i.batchTime) });
    ssc.queueStream([[1], [2]]).foreachRDD(() => undefined);
    await ssc.start();
    await clock.advance(1000).catch(() => undefined);
    await expect(ssc.awaitTermination()).rejects.toBe(err);
    expect(others).toEqual([1000]); // delivery to the other listeners went on
    expect(ssc.state).toBe('stopped');
  });

  it('fails the advance that ran its batch: the batches due after it do not run, and advance rejects with its error', async () => {
    const { ssc, clock } = manual();
    const err = new Error('listener broke');
    ssc.addStreamingListener({
      onBatchCompleted: (i) => {
        if (i.batchTime === 1000) throw err;
      },
    });
    const ran: number[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD((_rdd, t) => void ran.push(t));
    await ssc.start();
    await expect(clock.advance(3000)).rejects.toBe(err);
    expect(ran).toEqual([1000]);
    await expect(ssc.awaitTermination()).rejects.toBe(err);
  });

  it('in onStreamingStarted also surfaces through awaitTermination', async () => {
    const { ssc } = manual();
    const err = new Error('bad start listener');
    ssc.addStreamingListener({
      onStreamingStarted: () => {
        throw err;
      },
    });
    ssc.queueStream([[1]]).foreachRDD(() => undefined);
    await ssc.start();
    await expect(ssc.awaitTermination()).rejects.toBe(err);
  });

  it('an async listener or events$ subscriber whose promise rejects also surfaces through awaitTermination', async () => {
    for (const attach of [
      (ssc: StreamingContext, err: Error) =>
        ssc.addStreamingListener({
          onBatchCompleted: async () => {
            await Promise.resolve();
            throw err;
          },
        }),
      (ssc: StreamingContext, err: Error) =>
        ssc.events$.subscribe(async (e) => {
          await Promise.resolve();
          if (e.type === 'batchCompleted') throw err;
        }),
    ]) {
      const { ssc, clock } = manual();
      const err = new Error('async listener broke');
      attach(ssc, err);
      ssc.queueStream([[1], [2]]).foreachRDD(() => undefined);
      await ssc.start();
      await clock.advance(1000).catch(() => undefined);
      await expect(ssc.awaitTermination()).rejects.toBe(err);
    }
  });
});
