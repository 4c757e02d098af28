// socketTextStream's arguments are checked when the stream is made, with a message naming the
// argument and what was given: a bad connectTimeout used to pass and make every (re)start of the
// receiver throw inside node (an endless restart loop).
import { describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { SocketReceiver } from '../../src/receivers/index.js';

const ssc = (): StreamingContext => new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });

describe('socketTextStream arguments', () => {
  it('refuses a connectTimeout that is not a positive number of milliseconds, at once', () => {
    for (const bad of [-5, 0, Number.NaN, Infinity, 2 ** 31, 'x', '1000']) {
      expect(() => ssc().socketTextStream('localhost', 9999, { connectTimeout: bad as number }), String(bad)).toThrow(
        /connectTimeout must be a positive number of milliseconds/,
      );
    }
    expect(() => ssc().socketTextStream('localhost', 9999, { connectTimeout: 'x' as unknown as number })).toThrow(/got the string "x"/);
    expect(() => new SocketReceiver('localhost', 9999, { connectTimeout: -5 })).toThrow(/connectTimeout .* got -5$/);
    expect(() => ssc().socketTextStream('localhost', 9999, { connectTimeout: 250 })).not.toThrow();
    expect(() => ssc().socketTextStream('localhost', 9999)).not.toThrow();
  });

  it('names what it got for the host, and the order of the arguments (host, port)', () => {
    expect(() => ssc().socketTextStream(9999 as unknown as string, 'localhost' as unknown as number)).toThrow(
      /socketTextStream\(host, port\) needs a host name \(a non-empty string\) first, got 9999$/,
    );
  });

  it('says a port given as a string is a string', () => {
    expect(() => ssc().socketTextStream('localhost', '9999' as unknown as number)).toThrow(
      /socketTextStream needs a TCP port \(a number, 0-65535\), got the string "9999"/,
    );
    expect(() => ssc().socketTextStream('localhost', 70000)).toThrow(/TCP port \(0-65535\), got 70000/);
  });
});
