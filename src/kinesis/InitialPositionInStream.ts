/** Where a Kinesis input starts when no checkpoint says otherwise (the KCL's InitialPositionInStream). */
export const InitialPositionInStream = {
  /** Records put from the moment the input starts. */
  LATEST: 'LATEST',
  /** The oldest records the stream still holds. */
  TRIM_HORIZON: 'TRIM_HORIZON',
} as const;

export type InitialPositionInStream = (typeof InitialPositionInStream)[keyof typeof InitialPositionInStream];
