// The bad-input campaign's counts (docs/reliability.md): one line per campaign on stdout,
// `[campaign] <input>: cases N, correct N, errors N, lost N`.
export interface CampaignCounts {
  /** Cases tried. */
  cases: number;
  /** Cases that ended in the correct output. */
  correct: number;
  /** Cases that ended in a clear error naming the input. */
  errors: number;
  /** Records lost or doubled (must be 0). */
  lost: number;
}

export function recordCampaign(input: string, c: CampaignCounts): void {
  console.info(`[campaign] ${input}: cases ${c.cases}, correct ${c.correct}, errors ${c.errors}, lost ${c.lost}`);
}
