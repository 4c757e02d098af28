// The buffers a batch's line slices are copied into: handed out smallest-fit, rounded up to a
// whole MiB when new, kept when given back (at most as many as asked, the smallest let go first).
import { describe, expect, it } from 'vitest';
import { SliceBuffers } from '../../src/workers/SliceBuffers.js';

const MIB = 1 << 20;

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
    expect(small.buffer).toBe(a.buffer); // the 1 MiB one, not the 4 MiB one
    expect(small.byteOffset).toBe(0);
    const big = buffers.take(2 * MIB);
    expect(big.buffer).toBe(b.buffer);
    expect(big.length).toBe(2 * MIB);
    expect(buffers.keptBytes).toBe(0);
    expect(buffers.take(MIB).buffer).not.toBe(a.buffer); // none kept: a new one
  });

  it('ignores a detached buffer and keeps at most as many as asked, letting the smallest go', () => {
    const buffers = new SliceBuffers(8);
    const moved = buffers.take(1);
    structuredClone(moved.buffer, { transfer: [moved.buffer as ArrayBuffer] }); // detaches it here
    buffers.give(moved.buffer as ArrayBuffer);
    expect(buffers.keptBytes).toBe(0);
    for (let i = 1; i <= 9; i++) buffers.give(new ArrayBuffer(i * MIB));
    expect(buffers.keptBytes).toBe((2 + 3 + 4 + 5 + 6 + 7 + 8 + 9) * MIB);
  });
});
