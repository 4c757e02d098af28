/**
 * A token bucket in records per second. Tokens accrue continuously up to `burstSeconds` worth
 * (default 0.2 s — Guava's SmoothBursty, which Spark's receiver RateLimiter uses, allows a whole
 * second; a shorter burst keeps the blocks even and what a throttled receiver takes in one go
 * small); `take(n)` hands out as many of `n` as are available. `Infinity` means no limit.
 */
export class RateLimiter {
  private rate: number;
  private tokens: number;
  private last: number;

  constructor(
    rate: number,
    private readonly now: () => number = () => performance.now(),
    private readonly burstSeconds = 0.2,
  ) {
    this.rate = rate;
    this.last = now();
    this.tokens = Number.isFinite(rate) ? this.capacity : Infinity;
  }

  private get capacity(): number {
    return Math.max(1, this.rate * this.burstSeconds);
  }

  get limit(): number {
    return this.rate;
  }

  get unlimited(): boolean {
    return !Number.isFinite(this.rate);
  }

  setRate(rate: number): void {
    if (!(rate > 0)) throw new RangeError(`rate must be positive, got ${rate}`);
    this.refill();
    this.rate = rate;
    if (!Number.isFinite(rate)) this.tokens = Infinity;
    else if (!Number.isFinite(this.tokens) || this.tokens > this.capacity) this.tokens = this.capacity;
  }

  private refill(): void {
    const t = this.now();
    if (Number.isFinite(this.rate) && Number.isFinite(this.tokens)) {
      this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) * this.rate) / 1000);
    }
    this.last = t;
  }

  /** Takes up to `n` tokens; returns how many were taken (a whole number). */
  take(n: number): number {
    if (!Number.isFinite(this.rate)) return n;
    this.refill();
    const k = Math.min(n, Math.floor(this.tokens));
    if (k > 0) this.tokens -= k;
    return k;
  }

  /** Milliseconds until `min(n, 1% of a second's worth, at least 1)` tokens are available. */
  waitMs(n: number): number {
    if (!Number.isFinite(this.rate)) return 0;
    this.refill();
    const want = Math.min(n, Math.max(1, this.rate / 100));
    const missing = want - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.rate);
  }
}
