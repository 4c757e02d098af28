/** A Prometheus histogram: cumulative counts per upper bound, their sum and count; constant memory. */
export class Histogram {
  private readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]!) this.counts[i]!++;
  }

  /** `[le, cumulative count]` pairs, `+Inf` last. */
  buckets(): Array<[string, number]> {
    const out: Array<[string, number]> = this.bounds.map((b, i) => [String(b), this.counts[i]!]);
    out.push(['+Inf', this.count]);
    return out;
  }
}
