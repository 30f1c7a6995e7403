/**
 * The device-failure features: ONE definition, used to build gold `device_features` for
 * training and to validate the online API's request body. Each feature is declared with its
 * meaning and valid range; `computeDeviceFeatures` implements the DESIGN definitions over a
 * device's daily aggregates and maintenance history.
 */

import { DAY_MS } from '../calendar/days.js';

export interface FeatureDefinition {
  readonly name: FeatureName;
  readonly description: string;
  /** Valid range of a value (inclusive); the API rejects values outside it. */
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
}

export const FEATURE_NAMES = [
  'calibration_overdue',
  'maintenance_overdue',
  'calibration_overdue_days',
  'maintenance_overdue_days',
  'error_rate_7d',
  'warning_rate_7d',
  'qc_pass_rate_7d',
  'result_volume_trend',
  'avg_turnaround_time_7d',
  'result_volume',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export type FeatureVector = Readonly<Record<FeatureName, number>>;

const define = (name: FeatureName, description: string, min: number, max: number, integer = false): FeatureDefinition => ({ name, description, min, max, integer });

export const FEATURES: readonly FeatureDefinition[] = [
  define('calibration_overdue', '1 when calibration_overdue_days > 0, else 0', 0, 1, true),
  define('maintenance_overdue', '1 when maintenance_overdue_days > 0, else 0', 0, 1, true),
  define('calibration_overdue_days', 'whole days since the last calibration minus the calibration interval, clipped at 0', 0, 36_500, true),
  define('maintenance_overdue_days', 'whole days since the last preventive maintenance minus the maintenance interval, clipped at 0', 0, 36_500, true),
  define('error_rate_7d', 'share of log events at level ERROR over the trailing 7 days (0 with no events)', 0, 1),
  define('warning_rate_7d', 'share of log events at level WARN over the trailing 7 days (0 with no events)', 0, 1),
  define('qc_pass_rate_7d', 'share of QC runs over the trailing 7 days passing Westgard 1-3s and 2-2s (1 with no runs)', 0, 1),
  define('result_volume_trend', '(volume of the trailing 7 days - volume of the 7 days before) / volume of the 7 days before (0 when none before)', -1, 1_000_000),
  define('avg_turnaround_time_7d', 'mean hours from received_at to resulted_at over the trailing 7 days (0 with no results)', 0, 100_000),
  define('result_volume', 'results produced (resulted) on the feature day', 0, 10_000_000, true),
];

/** One device's activity on one UTC day: what gold `device_daily` holds. */
export interface DeviceDay {
  readonly results: number;
  readonly turnaroundHoursSum: number;
  readonly turnaroundCount: number;
  readonly logEvents: number;
  readonly logErrors: number;
  readonly logWarnings: number;
  readonly qcRuns: number;
  readonly qcPasses: number;
}

export const EMPTY_DAY: DeviceDay = { results: 0, turnaroundHoursSum: 0, turnaroundCount: 0, logEvents: 0, logErrors: 0, logWarnings: 0, qcRuns: 0, qcPasses: 0 };

export interface MaintenanceEvent {
  readonly event_type: string;
  readonly started_at: number;
}

export interface DeviceProfile {
  readonly device_id: string;
  readonly installed_at: number;
  readonly calibration_interval_days: number;
  readonly maintenance_interval_days: number;
}

export interface DeviceHistory {
  readonly device: DeviceProfile;
  /** Daily aggregates by UTC day start (epoch ms); missing days had no activity. */
  readonly days: ReadonlyMap<number, DeviceDay>;
  /** All maintenance events of the device, any order. */
  readonly events: readonly MaintenanceEvent[];
}

/** Unscheduled events: what the model predicts. */
export const FAILURE_EVENT_TYPES: ReadonlySet<string> = new Set(['failure', 'repair']);

function sumDays(history: DeviceHistory, fromDay: number, toDay: number, pick: (d: DeviceDay) => number): number {
  let total = 0;
  for (let day = fromDay; day <= toDay; day += DAY_MS) {
    const aggregate = history.days.get(day);
    if (aggregate) total += pick(aggregate);
  }
  return total;
}

/** Whole days from the last event of `type` (or installation) to the end of the feature day. */
function daysSinceLast(history: DeviceHistory, type: string, dayEnd: number): number {
  let last = history.device.installed_at;
  for (const event of history.events) {
    if (event.event_type === type && event.started_at < dayEnd && event.started_at > last) last = event.started_at;
  }
  return Math.floor((dayEnd - last) / DAY_MS);
}

function ratio(numerator: number, denominator: number, whenEmpty: number): number {
  return denominator > 0 ? numerator / denominator : whenEmpty;
}

/** The ten features of a device for the UTC day starting at `featureDay`, from data up to its end. */
export function computeDeviceFeatures(history: DeviceHistory, featureDay: number): FeatureVector {
  const dayEnd = featureDay + DAY_MS;
  const weekStart = featureDay - 6 * DAY_MS;
  const calibrationDays = Math.max(0, daysSinceLast(history, 'calibration', dayEnd) - history.device.calibration_interval_days);
  const maintenanceDays = Math.max(0, daysSinceLast(history, 'preventive', dayEnd) - history.device.maintenance_interval_days);
  const events = sumDays(history, weekStart, featureDay, (d) => d.logEvents);
  const volumeThisWeek = sumDays(history, weekStart, featureDay, (d) => d.results);
  const volumeWeekBefore = sumDays(history, weekStart - 7 * DAY_MS, weekStart - DAY_MS, (d) => d.results);
  return {
    calibration_overdue: calibrationDays > 0 ? 1 : 0,
    maintenance_overdue: maintenanceDays > 0 ? 1 : 0,
    calibration_overdue_days: calibrationDays,
    maintenance_overdue_days: maintenanceDays,
    error_rate_7d: ratio(sumDays(history, weekStart, featureDay, (d) => d.logErrors), events, 0),
    warning_rate_7d: ratio(sumDays(history, weekStart, featureDay, (d) => d.logWarnings), events, 0),
    qc_pass_rate_7d: ratio(sumDays(history, weekStart, featureDay, (d) => d.qcPasses), sumDays(history, weekStart, featureDay, (d) => d.qcRuns), 1),
    result_volume_trend: volumeWeekBefore > 0 ? (volumeThisWeek - volumeWeekBefore) / volumeWeekBefore : 0,
    avg_turnaround_time_7d: ratio(
      sumDays(history, weekStart, featureDay, (d) => d.turnaroundHoursSum),
      sumDays(history, weekStart, featureDay, (d) => d.turnaroundCount),
      0,
    ),
    result_volume: history.days.get(featureDay)?.results ?? 0,
  };
}

/**
 * Label: an unscheduled failure or repair starts within the 7 days after the feature day. The
 * repair of a failure that had already started is not a new failure (a failure late on the
 * feature day, repaired the next morning, must not label that day positive): a repair counts
 * on its own only when no failure is open before it, as when a LIMS records repairs alone.
 */
export function failureWithin7Days(history: DeviceHistory, featureDay: number): 0 | 1 {
  const from = featureDay + DAY_MS;
  const to = from + 7 * DAY_MS;
  const unscheduled = history.events.filter((e) => FAILURE_EVENT_TYPES.has(e.event_type)).sort((a, b) => a.started_at - b.started_at);
  let failureOpen = false;
  for (const event of unscheduled) {
    const isFailure = event.event_type !== 'repair';
    if ((isFailure || !failureOpen) && event.started_at >= from && event.started_at < to) return 1;
    failureOpen = isFailure;
  }
  return 0;
}

/** Days of device_daily a feature day needs: 13 before it through the day itself. */
export const FEATURE_LOOKBACK_DAYS = 13;
/** Days after the feature day whose events decide the label. */
export const LABEL_HORIZON_DAYS = 7;
