/**
 * The operating thresholds of the risk levels, chosen on the validation split.
 *
 * Failures are rare (a few percent of device-days), so calibrated probabilities seldom reach
 * fixed cut-offs such as 0.8: a device with p = 0.4 may be ten times the base rate. The levels
 * are therefore operating points of this model on data it was not fitted to:
 *  - HIGH: the probability that maximises F1 on validation (the balance of missed failures and
 *    false alarms for the alerts HIGH raises);
 *  - MEDIUM: the highest probability whose validation recall reaches 0.8 (four failures in five
 *    at least on the watch list); half the HIGH threshold when that is not below HIGH (HIGH alone
 *    reaches the recall) or no threshold reaches it, so MEDIUM stays a lower level.
 * The probability itself stays calibrated and is reported as is; the risk score maps these
 * thresholds to 50 and 80 (lib/registry/card.ts riskScore).
 */
import { bestF1Threshold, thresholdForRecall, thresholdMetrics, type ThresholdMetrics } from '../ml/metrics.js';
import type { RiskThresholds } from '../registry/card.js';

export const MEDIUM_TARGET_RECALL = 0.8;

export interface ChosenThresholds {
  readonly thresholds: RiskThresholds;
  /** Confusion, precision and recall of each level on the validation split. */
  readonly validation: { readonly medium: ThresholdMetrics; readonly high: ThresholdMetrics };
}

export function chooseRiskThresholds(labels: ArrayLike<number>, probabilities: ArrayLike<number>): ChosenThresholds {
  const high = bestF1Threshold(labels, probabilities);
  if (!high) throw new Error('Risk thresholds need at least one failure in the validation split');
  const atRecall = thresholdForRecall(labels, probabilities, MEDIUM_TARGET_RECALL);
  const medium = atRecall && atRecall.threshold < high.threshold ? atRecall : thresholdMetrics(labels, probabilities, high.threshold / 2);
  return {
    thresholds: {
      medium: medium.threshold,
      high: high.threshold,
      rule: {
        medium: `highest probability with recall >= ${MEDIUM_TARGET_RECALL} on the validation split (half the HIGH threshold when that is not below HIGH)`,
        high: 'probability with the maximum F1 on the validation split',
      },
    },
    validation: { medium, high },
  };
}
