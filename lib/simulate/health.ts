/**
 * The hidden health of a device. `wear` starts between 0 and 0.6, grows every day (faster when
 * calibration or preventive maintenance is overdue), drops with preventive maintenance and
 * resets on repair. It drives everything observable about a failing device, so that the
 * features of DESIGN's device_features table predict failures.
 */

export const WEAR = {
  initialMax: 0.6,
  /** Extra daily growth, relative to the device's own rate, while calibration is overdue. */
  calibrationOverdueAcceleration: 1.0,
  /** ... and while preventive maintenance is overdue. */
  maintenanceOverdueAcceleration: 2.0,
  calibrationRelief: 0.03,
  /** Share of wear left after preventive maintenance. */
  preventiveKeeps: 0.45,
  afterRepairMax: 0.08,
} as const;

/** Daily probability of an unscheduled failure: negligible when fresh, steep beyond ~0.5. */
export function failureHazard(wear: number): number {
  const excess = wear > 0.45 ? wear - 0.45 : 0;
  return Math.min(0.5, 0.0002 + 3 * excess * excess * excess);
}

export function wearGrowth(wearRate: number, calibrationOverdue: boolean, maintenanceOverdue: boolean, draw: number): number {
  const acceleration = 1 + (calibrationOverdue ? WEAR.calibrationOverdueAcceleration : 0) + (maintenanceOverdue ? WEAR.maintenanceOverdueAcceleration : 0);
  return wearRate * acceleration * (0.5 + draw);
}

/** Share of a device's log events at ERROR and WARN. */
export function errorShare(wear: number): number {
  return 0.01 + 0.3 * wear * wear;
}

export function warningShare(wear: number, calibrationOverdue: boolean): number {
  return 0.04 + 0.2 * wear + (calibrationOverdue ? 0.04 : 0);
}

/** Log events per device-day at full availability (more chatter when worn). */
export function logRate(wear: number): number {
  return 16 * (1 + wear);
}

/** Systematic error of a worn device, in analytical SDs (sign per device). */
export function wearBiasSd(wear: number, direction: number): number {
  return 1.2 * wear * direction;
}

/** Imprecision multiplier: random error grows with wear. */
export function wearImprecision(wear: number): number {
  return 1 + 1.5 * wear;
}

/** Turnaround multiplier: reruns and slow mechanics. */
export function wearSlowdown(wear: number): number {
  return 1 + 1.2 * wear;
}

/** Volume multiplier: staff route work away from a troublesome analyzer. */
export function wearThroughput(wear: number): number {
  return 1 - 0.3 * Math.min(1, wear);
}
