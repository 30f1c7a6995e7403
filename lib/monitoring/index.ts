/**
 * Monitoring algorithms: pure functions over arrays (no I/O). See README.md in this folder for
 * definitions, defaults, the reference implementations they follow and the agreement achieved.
 */
export { ks2samp, kstwoSf, KS_MAX_AUTO_N, KS_TAIL_P, type KsOptions, type KsResult } from './ks.js';
export { populationStabilityIndex, psiLevel, PSI_DEFAULT_BINS, PSI_DEFAULT_EPSILON, type PsiOptions, type PsiResult } from './psi.js';
export { benjaminiHochberg } from './multipleTesting.js';
export {
  passesWestgard,
  westgardFlags,
  westgardMultirule,
  westgardSeries,
  zScore,
  type WestgardFlags,
  type WestgardRule,
  type WestgardRunResult,
  type WestgardScope,
  type WestgardViolation,
} from './westgard.js';
export {
  baselineFromDays,
  calibrationDrift,
  dailySeries,
  seriesWindow,
  CRITICAL_Z,
  driftLevel,
  EWMA_DEFAULT_L,
  EWMA_DEFAULT_LAMBDA,
  ewmaOfDailyMeans,
  peerZ,
  selfZ,
  summarize,
  WARNING_Z,
  type CalibrationBaseline,
  type CalibrationDay,
  type CalibrationDayResult,
  type DailySeries,
  type CalibrationOptions,
  type DailySummary,
  type DriftLevel,
  type EwmaOptions,
  type EwmaPoint,
  type PeerComparison,
} from './calibration.js';
export { earsC, type EarsMethod, type EarsOptions, type EarsPoint } from './outbreaks/ears.js';
export { cusum, CUSUM_DEFAULTS, type CusumOptions, type CusumPoint } from './outbreaks/cusum.js';
export { farringtonFlexible, type FarringtonInput, type FarringtonOptions, type FarringtonPoint } from './outbreaks/farrington.js';
export { seededRandom, spaceTimePermutationScan, type ScanCluster, type ScanOptions, type ScanResult } from './outbreaks/scan.js';
export { positivityTrend, type PositivityOptions, type PositivityPoint, type SeasonalComparison, type WeekOverWeek } from './outbreaks/positivity.js';
