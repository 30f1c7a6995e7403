/**
 * Westgard rules over one control material's series (same device, test and control level),
 * in run order. A value is its z-score against the material's target mean and SD.
 */

export interface WestgardFlags {
  /** 1-3s: this run is more than 3 SD from the target. */
  readonly r13s: boolean;
  /** 2-2s: this run and the previous one are both beyond 2 SD on the same side. */
  readonly r22s: boolean;
}

export function zScore(measured: number, targetMean: number, targetSd: number): number {
  return targetSd > 0 ? (measured - targetMean) / targetSd : 0;
}

/** Flags of the current run given the previous run's z-score (null when there is none). */
export function westgardFlags(z: number, previousZ: number | null): WestgardFlags {
  return {
    r13s: Math.abs(z) > 3,
    r22s: previousZ !== null && ((z > 2 && previousZ > 2) || (z < -2 && previousZ < -2)),
  };
}

/** A run passes when neither rejection rule (1-3s, 2-2s) trips. */
export function passesWestgard(flags: WestgardFlags): boolean {
  return !flags.r13s && !flags.r22s;
}
