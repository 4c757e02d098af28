// The buffers a batch's line slices are copied into: handed out smallest-fit, rounded up to a
// whole MiB when new, kept when given back (at most `max`, the smallest let go first;
// one far larger than what is asked for now let go too).
import { describe, expect, it } from 'vitest';
import { SliceBuffers } from '../../src/workers/SliceBuffers.js';

const MIB = 1 << 20;
// Buffers compared by identity (a failing toBe would print a MiB of bytes).
const same = (a: ArrayBufferLike, b: ArrayBufferLike): boolean => a === b;

describe('SliceBuffers', () => {
  it('makes a new buffer of whole MiB, and hands a given-back one out again, the smallest that fits', () => {
    const buffers = new SliceBuffers(4);
    const a = buffers.take(10);
    expect(a.length).toBe(10);
    expect(a.buffer.byteLength).toBe(MIB);
    const b = buffers.take(3 * MIB + 1);
    expect(b.buffer.byteLength).toBe(4 * MIB);
    buffers.give(b.buffer as ArrayBuffer);
    buffers.give(a.buffer as ArrayBuffer);
    expect(buffers.keptBytes).toBe(5 * MIB);
    const small = buffers.take(100);
    expect(same(small.buffer, a.buffer)).toBe(true); // the 1 MiB one, not the 4 MiB one
    expect(small.byteOffset).toBe(0);
    const big = buffers.take(2 * MIB);
    expect(same(big.buffer, b.buffer)).toBe(true);
    expect(big.length).toBe(2 * MIB);
    expect(buffers.keptBytes).toBe(0);
    expect(same(buffers.take(MIB).buffer, a.buffer)).toBe(false); // none kept: a new one
  });

  it('ignores a detached buffer and keeps at most `max`, letting the smallest go', () => {
    const buffers = new SliceBuffers(8);
    const moved = buffers.take(1);
    structuredClone(moved.buffer, { transfer: [moved.buffer as ArrayBuffer] }); // detaches it here
    buffers.give(moved.buffer as ArrayBuffer);
    expect(buffers.keptBytes).toBe(0);
    buffers.take(9 * MIB); // asked for: nothing up to 9 MiB is too large
    for (let i = 1; i <= 9; i++) buffers.give(new ArrayBuffer(i * MIB));
    expect(buffers.keptBytes).toBe((2 + 3 + 4 + 5 + 6 + 7 + 8 + 9) * MIB);
  });

  it('lets a buffer go once it is more than twice the largest of the last sizes asked for (after a burst)', () => {
    const buffers = new SliceBuffers(3);
    const burst = buffers.take(20 * MIB);
    const small = buffers.take(MIB);
    buffers.give(burst.buffer as ArrayBuffer);
    buffers.give(small.buffer as ArrayBuffer);
    expect(buffers.keptBytes).toBe(21 * MIB);
    // 20 MiB is still among the last three sizes asked for: the burst's buffer is used again.
    expect(same(buffers.take(2 * MIB).buffer, burst.buffer)).toBe(true);
    buffers.give(burst.buffer as ArrayBuffer);
    // Now the last three are 1, 2 and 1 MiB: more than 4 MiB is let go.
    expect(same(buffers.take(MIB).buffer, small.buffer)).toBe(true);
    expect(buffers.keptBytes).toBe(0);
  });
});
