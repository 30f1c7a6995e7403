import type { Config } from '../config/config.js';
import type { SettingKey } from '../config/settings.js';
import { isCriticalZ } from '../monitoring/calibration.js';
import type { AlertEvent, AlertKind, DetailValue, Severity } from './events.js';

/**
 * The alert rules, as data: kind, severity, the condition with its configured thresholds, and
 * who evaluates it. The seed's table gives the defaults (the thresholds are settings). Each
 * rule has a pure function below that turns observations into firing events, so the
 * thresholds are applied in one place whichever stage observes the condition.
 */
export type RuleConfig = Pick<
  Config,
  | 'ALERT_CALIBRATION_Z'
  | 'ALERT_CALIBRATION_FDR'
  | 'ALERT_RISK_SCORE'
  | 'ALERT_DRIFT_P_VALUE'
  | 'ALERT_DRIFT_MIN_TESTS'
  | 'ALERT_FRESHNESS_MINUTES'
  | 'ALERT_PERFORMANCE_MARGIN'
>;

export interface AlertRule {
  readonly kind: AlertKind;
  readonly severity: Severity;
  readonly name: string;
  readonly thresholds: readonly SettingKey[];
  /** The condition in words, with the configured thresholds. */
  condition(config: RuleConfig): string;
  /** Where the observations come from. */
  readonly observedBy: string;
}

export const ALERT_RULES: readonly AlertRule[] = [
  {
    kind: 'calibration_drift',
    severity: 'CRITICAL',
    name: 'Device calibration drift',
    thresholds: ['ALERT_CALIBRATION_Z', 'ALERT_CALIBRATION_FDR'],
    condition: (c) =>
      `|z| > ${c.ALERT_CALIBRATION_Z} for a device and analyte (own baseline or peers), with the z-test's two-sided p-value below ${c.ALERT_CALIBRATION_FDR} after Benjamini-Hochberg across the day's device/analyte z-tests`,
    observedBy: 'monitoring (calibration drift), via calibrationDriftAlerts + recordAlertEvent',
  },
  {
    kind: 'high_risk_device',
    severity: 'HIGH',
    name: 'High-risk device',
    thresholds: ['ALERT_RISK_SCORE'],
    condition: (c) => `batch risk score > ${c.ALERT_RISK_SCORE} on the latest score day`,
    observedBy: 'batch scoring (alerts table), evaluated by the evaluateAlerts timer',
  },
  {
    kind: 'data_drift',
    severity: 'MEDIUM',
    name: 'Data drift',
    thresholds: ['ALERT_DRIFT_P_VALUE', 'ALERT_DRIFT_MIN_TESTS'],
    condition: (c) => `KS p < ${c.ALERT_DRIFT_P_VALUE} (after correction) for ${c.ALERT_DRIFT_MIN_TESTS} or more tests on a day`,
    observedBy: 'monitoring (drift report), via dataDriftAlerts + recordAlertEvent',
  },
  {
    kind: 'pipeline_failure',
    severity: 'HIGH',
    name: 'Pipeline failure',
    thresholds: ['ALERT_FRESHNESS_MINUTES'],
    condition: (c) => `a stage's latest run of a unit failed, or the newest ingested change is older than ${c.ALERT_FRESHNESS_MINUTES} min`,
    observedBy: 'the evaluateAlerts timer (run ledger, watermarks)',
  },
  {
    kind: 'outbreak_signal',
    severity: 'HIGH',
    name: 'Outbreak signal',
    thresholds: [],
    condition: () => 'a detection method (EARS, CUSUM, Farrington, scan) alarms for a test and region',
    observedBy: 'monitoring (outbreak detection), via outbreakAlerts + recordAlertEvent',
  },
  {
    kind: 'model_performance',
    severity: 'MEDIUM',
    name: 'Model performance below its card',
    thresholds: ['ALERT_PERFORMANCE_MARGIN'],
    condition: (c) => `a realised metric < the production card's holdout figure - ${c.ALERT_PERFORMANCE_MARGIN}`,
    observedBy: 'monitoring (realised performance), via performanceAlerts + recordAlertEvent',
  },
];

export function ruleFor(kind: AlertKind): AlertRule {
  return ALERT_RULES.find((r) => r.kind === kind)!;
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

function event(kind: AlertKind, subject: string, title: string, day: string, source: string, details: Record<string, DetailValue>): AlertEvent {
  return { kind, severity: ruleFor(kind).severity, subject, title, day, source, details, status: 'firing' };
}

export interface CalibrationObservation {
  readonly device: string;
  /** LOINC code (or local test code) of the analyte. */
  readonly analyte: string;
  readonly z: number;
  /** The z-test's two-sided p-value, Benjamini-Hochberg adjusted over the day's family (the drift report's). */
  readonly pAdjusted: number;
  readonly day: string;
  /** "self", "peer", "ewma", "westgard"... */
  readonly method?: string;
}

export function calibrationDriftAlerts(observations: readonly CalibrationObservation[], config: RuleConfig, source = 'monitoring/calibration'): AlertEvent[] {
  const worst = new Map<string, CalibrationObservation>();
  for (const o of observations) {
    if (!Number.isFinite(o.z) || !isCriticalZ(o.z, o.pAdjusted, { criticalZ: config.ALERT_CALIBRATION_Z, fdr: config.ALERT_CALIBRATION_FDR })) continue;
    const key = `${o.device}/${o.analyte}`;
    const seen = worst.get(key);
    if (!seen || Math.abs(o.z) > Math.abs(seen.z)) worst.set(key, o);
  }
  return [...worst].map(([subject, o]) =>
    event('calibration_drift', subject, `Device ${o.device}: calibration drift on ${o.analyte} (z = ${o.z.toFixed(2)})`, o.day, source, {
      device: o.device,
      analyte: o.analyte,
      z: round(o.z),
      threshold: config.ALERT_CALIBRATION_Z,
      p_adjusted: o.pAdjusted,
      fdr: config.ALERT_CALIBRATION_FDR,
      method: o.method ?? null,
    }),
  );
}

export interface DriftTest {
  /** Feature or analyte tested. */
  readonly name: string;
  /** p-value after correction (Benjamini-Hochberg) when the report corrects. */
  readonly pValue: number | null;
  readonly statistic?: number | null;
}

/** One event per scope and day when enough tests drift; subject is the scope ("lab" by default). */
export function dataDriftAlerts(tests: readonly DriftTest[], day: string, config: RuleConfig, scope = 'lab', source = 'monitoring/drift'): AlertEvent[] {
  const drifting = tests.filter((t) => t.pValue !== null && Number.isFinite(t.pValue) && t.pValue < config.ALERT_DRIFT_P_VALUE);
  if (drifting.length < config.ALERT_DRIFT_MIN_TESTS) return [];
  const names = drifting.map((t) => t.name).sort();
  return [
    event('data_drift', scope, `Data drift: ${drifting.length} of ${tests.length} tests with KS p < ${config.ALERT_DRIFT_P_VALUE} (${scope})`, day, source, {
      drifting_tests: drifting.length,
      tests: tests.length,
      p_threshold: config.ALERT_DRIFT_P_VALUE,
      min_tests: config.ALERT_DRIFT_MIN_TESTS,
      examples: names.slice(0, 8).join(', ') + (names.length > 8 ? ', ...' : ''),
    }),
  ];
}

export interface RiskFactor {
  readonly feature: string;
  readonly value: number;
  readonly contribution: number;
}

export interface HighRiskObservation {
  readonly device: string;
  readonly day: string;
  readonly riskScore: number;
  readonly probability?: number;
  readonly modelVersion?: string;
  readonly factors?: readonly RiskFactor[];
}

export function highRiskAlerts(observations: readonly HighRiskObservation[], config: RuleConfig, source = 'scoring'): AlertEvent[] {
  return observations
    .filter((o) => o.riskScore > config.ALERT_RISK_SCORE)
    .map((o) =>
      event('high_risk_device', o.device, `Device ${o.device}: failure risk score ${o.riskScore} (above ${config.ALERT_RISK_SCORE})`, o.day, source, {
        device: o.device,
        risk_score: o.riskScore,
        probability: o.probability === undefined ? null : round(o.probability),
        model_version: o.modelVersion ?? null,
        threshold: config.ALERT_RISK_SCORE,
        reasons: (o.factors ?? []).map(describeFactor).join('; ') || null,
      }),
    );
}

const FEATURE_WORDS: Record<string, (v: number) => string> = {
  calibration_overdue: (v) => (v > 0 ? 'calibration overdue' : 'calibration up to date'),
  calibration_overdue_days: (v) => `calibration overdue by ${Math.round(v)} d`,
  maintenance_overdue: (v) => (v > 0 ? 'maintenance overdue' : 'maintenance up to date'),
  maintenance_overdue_days: (v) => `maintenance overdue by ${Math.round(v)} d`,
  error_rate_7d: (v) => `error rate ${(v * 100).toFixed(1)}% of log events (7 d)`,
  warning_rate_7d: (v) => `warning rate ${(v * 100).toFixed(1)}% of log events (7 d)`,
  qc_pass_rate_7d: (v) => `QC pass rate ${(v * 100).toFixed(0)}% (7 d)`,
  result_volume: (v) => `${Math.round(v)} results on the day`,
  result_volume_trend: (v) => `volume trend ${v >= 0 ? '+' : ''}${(v * 100).toFixed(0)}% week on week`,
  avg_turnaround_time_7d: (v) => `turnaround ${v.toFixed(1)} h (7 d mean)`,
};

/** A TreeSHAP factor in words: "error rate 8.1% of log events (7 d) (raises risk)". */
export function describeFactor(f: RiskFactor): string {
  const words = FEATURE_WORDS[f.feature]?.(f.value) ?? `${f.feature} = ${Number.isFinite(f.value) ? round(f.value) : f.value}`;
  return `${words} (${f.contribution >= 0 ? 'raises' : 'lowers'} risk)`;
}

export interface OutbreakObservation {
  readonly test: string;
  readonly region: string;
  readonly day: string;
  readonly method: string;
  readonly value: number | null;
  readonly threshold: number | null;
  readonly alarm: boolean;
}

export function outbreakAlerts(observations: readonly OutbreakObservation[], source = 'monitoring/outbreaks'): AlertEvent[] {
  const bySubject = new Map<string, OutbreakObservation[]>();
  for (const o of observations.filter((x) => x.alarm)) {
    const key = `${o.test}/${o.region}`;
    bySubject.set(key, [...(bySubject.get(key) ?? []), o]);
  }
  return [...bySubject].map(([subject, list]) => {
    const first = list[0]!;
    return event('outbreak_signal', subject, `Outbreak signal: ${first.test} in ${first.region} (${list.map((o) => o.method).join(', ')})`, first.day, source, {
      test: first.test,
      region: first.region,
      methods: list.map((o) => o.method).join(', '),
      value: first.value,
      threshold: first.threshold,
    });
  });
}

export interface PerformanceObservation {
  readonly day: string;
  readonly metric: string;
  readonly realised: number;
  /** The production model card's holdout figure. */
  readonly card: number;
  readonly modelVersion: string;
}

export function performanceAlerts(observations: readonly PerformanceObservation[], config: RuleConfig, source = 'monitoring/performance'): AlertEvent[] {
  return observations
    .filter((o) => Number.isFinite(o.realised) && Number.isFinite(o.card) && o.realised < o.card - config.ALERT_PERFORMANCE_MARGIN)
    .map((o) =>
      event('model_performance', `${o.modelVersion}/${o.metric}`, `Model ${o.modelVersion}: realised ${o.metric} ${o.realised.toFixed(3)} below its card (${o.card.toFixed(3)})`, o.day, source, {
        metric: o.metric,
        realised: round(o.realised),
        card: round(o.card),
        margin: config.ALERT_PERFORMANCE_MARGIN,
        model_version: o.modelVersion,
      }),
    );
}

export interface FailedUnit {
  readonly stage: string;
  readonly unit: string;
  readonly error: string | null;
  readonly at: string;
}

export interface Freshness {
  /** The clock freshness is measured against: the wall clock, or the simulator's clock. */
  readonly clock: string;
  readonly clockKind: 'wall' | 'simulated';
  /** Newest source change ingested (max watermark over the LIMS tables), or null before any. */
  readonly newestChange: string | null;
  readonly lagMinutes: number | null;
}

/** Failed stages (one event per stage) and stale data (subject `data_freshness`). */
export function pipelineAlerts(failed: readonly FailedUnit[], freshness: Freshness | null, day: string, config: RuleConfig, source = 'alerts/pipeline-health'): AlertEvent[] {
  const events: AlertEvent[] = [];
  const byStage = new Map<string, FailedUnit[]>();
  for (const f of failed) byStage.set(f.stage, [...(byStage.get(f.stage) ?? []), f]);
  for (const [stage, units] of [...byStage].sort(([a], [b]) => a.localeCompare(b))) {
    const latest = [...units].sort((a, b) => b.at.localeCompare(a.at))[0]!;
    events.push(
      event('pipeline_failure', `stage:${stage}`, `Pipeline stage ${stage}: ${units.length} unit(s) failed`, day, source, {
        stage,
        failed_units: units.length,
        latest_unit: latest.unit,
        latest_failure_at: latest.at,
        latest_error: latest.error === null ? null : redact(latest.error),
      }),
    );
  }
  if (freshness && (freshness.lagMinutes === null || freshness.lagMinutes > config.ALERT_FRESHNESS_MINUTES)) {
    const lag = freshness.lagMinutes === null ? 'no data ingested yet' : `newest change ${formatMinutes(freshness.lagMinutes)} old`;
    events.push(
      event('pipeline_failure', 'data_freshness', `Data is stale: ${lag} (target ${config.ALERT_FRESHNESS_MINUTES} min)`, day, source, {
        clock: freshness.clock,
        clock_kind: freshness.clockKind,
        newest_change: freshness.newestChange,
        lag_minutes: freshness.lagMinutes === null ? null : Math.round(freshness.lagMinutes),
        target_minutes: config.ALERT_FRESHNESS_MINUTES,
      }),
    );
  }
  return events;
}

export function formatMinutes(minutes: number): string {
  if (minutes < 90) return `${Math.round(minutes)} min`;
  if (minutes < 48 * 60) return `${(minutes / 60).toFixed(1)} h`;
  return `${(minutes / 1440).toFixed(1)} d`;
}

/**
 * Error text goes into e-mails and chat: first line only, bounded, and long digit runs and
 * e-mail-like tokens masked, in case an error ever quotes a value from a row.
 */
export function redact(text: string): string {
  return text
    .split('\n')[0]!
    .replace(/[^\s@]+@[^\s@]+/g, '[address]')
    .replace(/\d{6,}/g, '[number]')
    .slice(0, 240);
}
