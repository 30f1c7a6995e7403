import { DAY_MS } from '../calendar/days.js';
/**
 * Binary classification metrics for the holdout report: threshold metrics from the confusion
 * matrix, ranking metrics (ROC-AUC with ties, PR-AUC as average precision), the Brier score, and
 * the lead time of failure warnings.
 *
 * Conventions: a row is predicted positive when its probability is strictly above the threshold
 * (the model's HIGH threshold for the holdout report: lib/training/thresholds.ts). Ratios with a zero denominator are 0
 * (precision with no positive predictions, recall with no positives), except the AUCs, which are
 * NaN when one class is absent.
 */

export interface ConfusionMatrix {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

function checkLengths(labels: ArrayLike<number>, scores: ArrayLike<number>, what: string): void {
  if (labels.length !== scores.length) throw new Error(`${what}: ${labels.length} labels but ${scores.length} scores`);
}

export function confusionMatrix(labels: ArrayLike<number>, probabilities: ArrayLike<number>, threshold: number): ConfusionMatrix {
  checkLengths(labels, probabilities, 'confusionMatrix');
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const positive = (probabilities[i] as number) > threshold;
    if (labels[i] === 1) {
      if (positive) tp++;
      else fn++;
    } else if (positive) fp++;
    else tn++;
  }
  return { tp, fp, tn, fn };
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

export function accuracy(cm: ConfusionMatrix): number {
  return ratio(cm.tp + cm.tn, cm.tp + cm.fp + cm.tn + cm.fn);
}
export function precision(cm: ConfusionMatrix): number {
  return ratio(cm.tp, cm.tp + cm.fp);
}
export function recall(cm: ConfusionMatrix): number {
  return ratio(cm.tp, cm.tp + cm.fn);
}
export function f1Score(cm: ConfusionMatrix): number {
  return ratio(2 * cm.tp, 2 * cm.tp + cm.fp + cm.fn);
}

function countPositives(labels: ArrayLike<number>): number {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  return positives;
}

/** Indices sorted by score, descending (stable). */
function orderByScoreDesc(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const values = Float64Array.from(scores as ArrayLike<number>);
  order.sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
  return order;
}

/**
 * ROC-AUC: the probability that a random positive scores above a random negative, ties counting
 * one half (the Mann-Whitney U statistic with average ranks). NaN without both classes.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkLengths(labels, scores, 'rocAuc');
  const order = orderByScoreDesc(scores);
  let positives = 0;
  let negatives = 0;
  // Walk tie groups from the top: each negative in a group beats nothing above; count
  // pairs (positive above negative) + half the pairs inside a group.
  let pairs = 0;
  let i = 0;
  while (i < order.length) {
    const score = scores[order[i] as number] as number;
    let groupPos = 0;
    let groupNeg = 0;
    let j = i;
    while (j < order.length && scores[order[j] as number] === score) {
      if (labels[order[j] as number] === 1) groupPos++;
      else groupNeg++;
      j++;
    }
    pairs += groupNeg * positives + 0.5 * groupNeg * groupPos;
    positives += groupPos;
    negatives += groupNeg;
    i = j;
  }
  return positives > 0 && negatives > 0 ? pairs / (positives * negatives) : NaN;
}

/**
 * PR-AUC as average precision: sum over distinct score thresholds (tied scores form one step)
 * of (recall_k - recall_{k-1}) * precision_k, as scikit-learn's average_precision_score.
 * NaN without positives.
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkLengths(labels, scores, 'averagePrecision');
  const order = orderByScoreDesc(scores);
  const totalPositives = countPositives(labels);
  if (totalPositives === 0) return NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  let i = 0;
  while (i < order.length) {
    const score = scores[order[i] as number] as number;
    let groupPos = 0;
    let j = i;
    while (j < order.length && scores[order[j] as number] === score) {
      if (labels[order[j] as number] === 1) groupPos++;
      j++;
    }
    seen += j - i;
    tp += groupPos;
    if (groupPos > 0) ap += (groupPos / totalPositives) * (tp / seen);
    i = j;
  }
  return ap;
}

/** Mean squared difference between probability and outcome. */
export function brierScore(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  checkLengths(labels, probabilities, 'brierScore');
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const d = (probabilities[i] as number) - (labels[i] as number);
    sum += d * d;
  }
  return labels.length > 0 ? sum / labels.length : NaN;
}

/** Mean negative log-likelihood (probabilities clipped to [1e-15, 1 - 1e-15]). */
export function logLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  checkLengths(labels, probabilities, 'logLoss');
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probabilities[i] as number));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return labels.length > 0 ? sum / labels.length : NaN;
}

export interface ThresholdMetrics {
  readonly threshold: number;
  readonly confusion: ConfusionMatrix;
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export function thresholdMetrics(labels: ArrayLike<number>, probabilities: ArrayLike<number>, threshold: number): ThresholdMetrics {
  const confusion = confusionMatrix(labels, probabilities, threshold);
  return { threshold, confusion, accuracy: accuracy(confusion), precision: precision(confusion), recall: recall(confusion), f1: f1Score(confusion) };
}

export interface BinaryMetrics extends ThresholdMetrics {
  readonly rows: number;
  readonly positives: number;
  readonly rocAuc: number;
  readonly prAuc: number;
  readonly brier: number;
  readonly logLoss: number;
}

/** Every holdout figure, the threshold ones at `threshold`. */
export function binaryMetrics(labels: ArrayLike<number>, probabilities: ArrayLike<number>, threshold: number): BinaryMetrics {
  return {
    rows: labels.length,
    positives: countPositives(labels),
    ...thresholdMetrics(labels, probabilities, threshold),
    rocAuc: rocAuc(labels, probabilities),
    prAuc: averagePrecision(labels, probabilities),
    brier: brierScore(labels, probabilities),
    logLoss: logLoss(labels, probabilities),
  };
}

/** A cut "p > threshold" over distinct scores, and the positives it predicts. */
interface Cut {
  readonly threshold: number;
  readonly truePositives: number;
  readonly predicted: number;
}

/**
 * Every cut between two distinct scores, highest threshold first: t is the next lower distinct
 * score below the cut, so the scores at and above the cut are the positive predictions
 * ("everything positive" has no threshold below it and is not a cut).
 */
function* cutsByThreshold(labels: ArrayLike<number>, scores: ArrayLike<number>): Generator<Cut> {
  const order = orderByScoreDesc(scores);
  let truePositives = 0;
  let i = 0;
  while (i < order.length) {
    const score = scores[order[i] as number] as number;
    let j = i;
    while (j < order.length && scores[order[j] as number] === score) {
      if (labels[order[j] as number] === 1) truePositives++;
      j++;
    }
    if (j >= order.length) return;
    yield { threshold: scores[order[j] as number] as number, truePositives, predicted: j };
    i = j;
  }
}

/** The threshold with the best F1 on a labelled set (e.g. validation), under the "p > t" rule. Null without positives. */
export function bestF1Threshold(labels: ArrayLike<number>, scores: ArrayLike<number>): ThresholdMetrics | null {
  checkLengths(labels, scores, 'bestF1Threshold');
  const positives = countPositives(labels);
  if (positives === 0) return null;
  let best: { f1: number; threshold: number } | null = null;
  for (const cut of cutsByThreshold(labels, scores)) {
    const f1 = (2 * cut.truePositives) / (cut.predicted + positives);
    if (!best || f1 > best.f1) best = { f1, threshold: cut.threshold };
  }
  return best && thresholdMetrics(labels, scores, best.threshold);
}

/**
 * The highest threshold whose recall under "p > t" reaches `minRecall` (an operating point that
 * catches that share of positives with the fewest alarms). Null without positives, or when only
 * "everything positive" reaches it.
 */
export function thresholdForRecall(labels: ArrayLike<number>, scores: ArrayLike<number>, minRecall: number): ThresholdMetrics | null {
  checkLengths(labels, scores, 'thresholdForRecall');
  const positives = countPositives(labels);
  if (positives === 0) return null;
  for (const cut of cutsByThreshold(labels, scores)) {
    if (cut.truePositives / positives >= minRecall) return thresholdMetrics(labels, scores, cut.threshold);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Lead time
// ---------------------------------------------------------------------------------------------

export interface LeadTimeEvent {
  readonly device: string | number;
  /** First day of the run of positive labels (epoch ms). */
  readonly firstLabelDay: number;
  /** The failure day: the day after the run's last positive label (epoch ms). */
  readonly failureDay: number;
  /** Days from the first HIGH score in the run to the failure; null when never HIGH. */
  readonly leadDays: number | null;
}

export interface LeadTimeReport {
  /** Failures seen: runs of consecutive label-1 days per device. */
  readonly failures: number;
  readonly detected: number;
  readonly missed: number;
  /** detected / failures (0 without failures). */
  readonly detectionRate: number;
  /** Median lead in days over detected failures; null when none was detected. */
  readonly medianDays: number | null;
  readonly meanDays: number | null;
  /** Detected failures by lead in days: distribution[d] = failures first flagged d days ahead. */
  readonly distribution: Readonly<Record<number, number>>;
  readonly events: readonly LeadTimeEvent[];
}

/**
 * Lead time of warnings: for each failure, how many days before it the device first scored HIGH.
 *
 * A failure is a run of consecutive feature days with label 1 for one device (the label says "a
 * failure starts within the next 7 days", so a failure on day F labels days F-7 .. F-1 and the
 * failure day is the day after the run's last day). The lead time is F minus the first day in
 * the run whose probability is above `threshold` (1..7 days for a 7-day label); a failure never
 * flagged inside its run counts as missed. Flags before the run are not credited: they were not
 * predictions of this failure. Failures closer than 7 days apart merge into one run (counted once,
 * at the last failure), and a run cut by the start of the window can only show a shorter lead.
 * A missing day for a device ends a run.
 */
export function leadTimes(
  devices: ArrayLike<string | number>,
  featureDays: ArrayLike<number>,
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  threshold: number,
): LeadTimeReport {
  const n = devices.length;
  if (featureDays.length !== n || labels.length !== n || probabilities.length !== n) {
    throw new Error(`leadTimes: devices, featureDays, labels and probabilities differ in length (${n}, ${featureDays.length}, ${labels.length}, ${probabilities.length})`);
  }
  const keys = Array.from({ length: n }, (_, i) => String(devices[i]));
  const key = (i: number): string => keys[i] as string;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : (featureDays[a] as number) - (featureDays[b] as number)));
  const events: LeadTimeEvent[] = [];
  let k = 0;
  while (k < n) {
    const i = order[k] as number;
    if (labels[i] !== 1) {
      k++;
      continue;
    }
    // A run: same device, consecutive days, label 1.
    const device = key(i);
    const firstDay = Math.floor((featureDays[i] as number) / DAY_MS);
    let lastDay = firstDay;
    let firstHigh: number | null = (probabilities[i] as number) > threshold ? firstDay : null;
    let j = k + 1;
    while (j < n) {
      const r = order[j] as number;
      const day = Math.floor((featureDays[r] as number) / DAY_MS);
      if (key(r) !== device || labels[r] !== 1 || day !== lastDay + 1) break;
      lastDay = day;
      if (firstHigh === null && (probabilities[r] as number) > threshold) firstHigh = day;
      j++;
    }
    const failureDay = lastDay + 1;
    events.push({ device: devices[i] as string | number, firstLabelDay: firstDay * DAY_MS, failureDay: failureDay * DAY_MS, leadDays: firstHigh === null ? null : failureDay - firstHigh });
    k = j;
  }
  const leads = events.map((e) => e.leadDays).filter((d): d is number => d !== null).sort((a, b) => a - b);
  const distribution: Record<number, number> = {};
  for (const d of leads) distribution[d] = (distribution[d] ?? 0) + 1;
  const mid = leads.length >> 1;
  const median = leads.length === 0 ? null : leads.length % 2 === 1 ? (leads[mid] as number) : ((leads[mid - 1] as number) + (leads[mid] as number)) / 2;
  return {
    failures: events.length,
    detected: leads.length,
    missed: events.length - leads.length,
    detectionRate: events.length > 0 ? leads.length / events.length : 0,
    medianDays: median,
    meanDays: leads.length === 0 ? null : leads.reduce((s, d) => s + d, 0) / leads.length,
    distribution,
    events,
  };
}
