import { describe, expect, test } from 'vitest';
import { averagePrecision, bestF1Threshold, binaryMetrics, brierScore, confusionMatrix, leadTimes, logLoss, rocAuc, thresholdForRecall, thresholdMetrics } from './metrics.js';
import { DAY_MS } from '../calendar/days.js';

// Hand-computed example with ties across classes.
const labels = [1, 0, 1, 0, 1, 0];
const scores = [0.9, 0.9, 0.7, 0.4, 0.4, 0.1];

describe('ranking metrics', () => {
  test('ROC-AUC counts ties as one half', () => {
    // Positive/negative pairs: 0.9 vs (0.9 tie, 0.4, 0.1) = 2.5; 0.7 vs (0.4, 0.1) = 2; 0.4 vs (0.4 tie, 0.1) = 1.5.
    expect(rocAuc(labels, scores)).toBeCloseTo(6 / 9, 15);
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4])).toBe(0);
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
    // Invariant to input order.
    expect(rocAuc([...labels].reverse(), [...scores].reverse())).toBeCloseTo(6 / 9, 15);
  });

  test('PR-AUC is average precision with tied scores as one step', () => {
    // Steps: 0.9 -> P 1/2, dR 1/3; 0.7 -> P 2/3, dR 1/3; 0.4 -> P 3/5, dR 1/3.
    expect(averagePrecision(labels, scores)).toBeCloseTo(1 / 6 + 2 / 9 + 1 / 5, 15);
    expect(averagePrecision([0, 1, 1], [0.1, 0.8, 0.9])).toBe(1);
    expect(averagePrecision([1, 0, 0], [0.1, 0.8, 0.9])).toBeCloseTo(1 / 3, 15);
    expect(averagePrecision([0, 0], [0.1, 0.2])).toBeNaN();
  });
});

describe('threshold metrics', () => {
  test('confusion matrix uses p > threshold', () => {
    expect(confusionMatrix(labels, scores, 0.5)).toEqual({ tp: 2, fp: 1, tn: 2, fn: 1 });
    expect(confusionMatrix(labels, scores, 0.7)).toEqual({ tp: 1, fp: 1, tn: 2, fn: 2 });
    const m = thresholdMetrics(labels, scores, 0.5);
    expect(m.accuracy).toBeCloseTo(4 / 6, 15);
    expect(m.precision).toBeCloseTo(2 / 3, 15);
    expect(m.recall).toBeCloseTo(2 / 3, 15);
    expect(m.f1).toBeCloseTo(2 / 3, 15);
    const none = thresholdMetrics(labels, scores, 0.95);
    expect(none.precision).toBe(0);
    expect(none.recall).toBe(0);
    expect(none.f1).toBe(0);
  });

  test('Brier score and log-loss', () => {
    // (0.1^2 + 0.9^2 + 0.3^2 + 0.4^2 + 0.6^2 + 0.1^2) / 6
    expect(brierScore(labels, scores)).toBeCloseTo(1.44 / 6, 15);
    expect(logLoss([1, 0], [0.8, 0.4])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 15);
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 10);
  });

  test('binaryMetrics bundles everything at one threshold', () => {
    const m = binaryMetrics(labels, scores, 0.8);
    expect(m.threshold).toBe(0.8);
    expect(m.confusion).toEqual({ tp: 1, fp: 1, tn: 2, fn: 2 });
    expect(m.rows).toBe(6);
    expect(m.positives).toBe(3);
    expect(m.rocAuc).toBeCloseTo(6 / 9, 15);
  });
});

describe('leadTimes', () => {
  const day = (d: number): number => Date.UTC(2026, 2, 1) + d * DAY_MS;
  test('first HIGH day inside each run of positive labels, per device', () => {
    const rows: [string, number, number, number][] = [];
    // Device A: labels 1 on days 2..8 (failure on day 9), HIGH first on day 5; a HIGH on day 1 is before the run.
    for (let d = 0; d < 10; d++) rows.push(['A', d, d >= 2 && d <= 8 ? 1 : 0, d === 1 || d >= 5 ? 0.9 : 0.2]);
    // Device B: run days 3..5 never HIGH (missed); run days 10..12 HIGH from day 10 (lead 3).
    for (let d = 0; d < 13; d++) rows.push(['B', d, (d >= 3 && d <= 5) || d >= 10 ? 1 : 0, d >= 10 ? 0.85 : 0.5]);
    // Device C: a missing day (2) splits labels on days 0, 1, 3, 4 into two runs; HIGH on day 4 (lead 1).
    for (const d of [0, 1, 3, 4]) rows.push(['C', d, 1, d === 4 ? 0.95 : 0.1]);
    rows.reverse(); // input order does not matter
    const report = leadTimes(
      rows.map((r) => r[0]),
      rows.map((r) => day(r[1])),
      rows.map((r) => r[2]),
      rows.map((r) => r[3]),
      0.8,
    );
    expect(report.failures).toBe(5);
    expect(report.detected).toBe(3);
    expect(report.missed).toBe(2);
    expect(report.detectionRate).toBeCloseTo(3 / 5, 15);
    expect(report.distribution).toEqual({ 1: 1, 3: 1, 4: 1 });
    expect(report.medianDays).toBe(3);
    expect(report.meanDays).toBeCloseTo(8 / 3, 15);
    const a = report.events.find((e) => e.device === 'A');
    expect(a).toEqual({ device: 'A', firstLabelDay: day(2), failureDay: day(9), leadDays: 4 });
  });

  test('no failures: empty report', () => {
    const r = leadTimes(['A'], [day(0)], [0], [0.99], 0.8);
    expect(r).toMatchObject({ failures: 0, detected: 0, medianDays: null, meanDays: null, detectionRate: 0 });
  });
});

describe('bestF1Threshold', () => {
  test('picks the cut with the best F1 under p > t', () => {
    // Cuts: {0.9} F1 = 2/5; {0.9, 0.7} F1 = 4/6; {.., 0.4} F1 = 6/8; everything has no threshold.
    const best = bestF1Threshold(labels, scores);
    expect(best?.threshold).toBe(0.1);
    expect(best?.f1).toBeCloseTo(6 / 8, 15);
    expect(best?.confusion).toEqual({ tp: 3, fp: 2, tn: 1, fn: 0 });
    expect(bestF1Threshold([0, 0], [0.1, 0.2])).toBeNull();
  });
});

describe('thresholdForRecall', () => {
  test('picks the highest threshold whose recall under p > t reaches the target', () => {
    // Cuts: t = 0.7 recall 1/3; t = 0.4 recall 2/3; t = 0.1 recall 1.
    expect(thresholdForRecall(labels, scores, 0.3)?.threshold).toBe(0.7);
    expect(thresholdForRecall(labels, scores, 0.6)?.threshold).toBe(0.4);
    expect(thresholdForRecall(labels, scores, 0.8)?.threshold).toBe(0.1);
    expect(thresholdForRecall(labels, scores, 0.8)?.recall).toBe(1);
    expect(thresholdForRecall([1, 1], [0.5, 0.5], 0.5)).toBeNull();
    expect(thresholdForRecall([0, 0], [0.1, 0.2], 0.5)).toBeNull();
  });
});
