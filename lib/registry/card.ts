/** What a registered model version says about itself (stored as card.json beside model.onnx). */
export interface ModelCard {
  readonly name: string;
  readonly version: string;
  readonly created: string;
  /** Version of the product code that trained it. */
  readonly codeVersion: string;
  readonly trainingWindow: { readonly from: string; readonly to: string };
  readonly rowCounts: { readonly train: number; readonly validation: number; readonly holdout: number };
  /** SHA-256 of the training rows, so the same data gives the same hash. */
  readonly dataHash: string;
  /** Features in model input order, with the ranges observed in training. */
  readonly features: readonly { readonly name: string; readonly min: number; readonly max: number }[];
  readonly label: string;
  readonly hyperparameters: Readonly<Record<string, number | string | boolean>>;
  /** Holdout metrics (roc_auc, pr_auc, brier; accuracy, precision, recall, f1 and lead times at the HIGH threshold). */
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly calibration: Readonly<Record<string, number | string>>;
  /** Operating thresholds on the probability, chosen on the validation split; they anchor the risk score. */
  readonly thresholds: RiskThresholds;
  /** Anything else the trainer reports (confusion matrix, lead times, ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export const MODEL_ALIASES = ['production', 'staging'] as const;
export type ModelAlias = (typeof MODEL_ALIASES)[number];

export function isModelAlias(value: string): value is ModelAlias {
  return (MODEL_ALIASES as readonly string[]).includes(value);
}

/**
 * Probability thresholds of the risk levels: MEDIUM above `medium`, HIGH above `high`
 * (0 < medium < high < 1). Cards written before thresholds were chosen on data have 0.5 and 0.8
 * and no `rule`.
 */
export interface RiskThresholds {
  readonly medium: number;
  readonly high: number;
  /** How each threshold was chosen, in words (e.g. "maximum F1 on the validation split"). */
  readonly rule?: { readonly medium: string; readonly high: string };
}

export type RiskLevel = 'LOW' | 'MEDIUM' | 'HIGH';

/** The scores the thresholds map to: "HIGH above 80" and "MEDIUM above 50" hold for every model. */
export const MEDIUM_RISK_SCORE = 50;
export const HIGH_RISK_SCORE = 80;

/** Integer scores of each level; rounding must not carry a score across a level's boundary. */
const SCORE_BANDS: Readonly<Record<RiskLevel, readonly [number, number]>> = {
  LOW: [0, MEDIUM_RISK_SCORE],
  MEDIUM: [MEDIUM_RISK_SCORE + 1, HIGH_RISK_SCORE],
  HIGH: [HIGH_RISK_SCORE + 1, 100],
};

function between(p: number, p0: number, p1: number, score0: number, score1: number): number {
  return p1 > p0 ? score0 + ((p - p0) / (p1 - p0)) * (score1 - score0) : score1;
}

/**
 * The 0-100 risk score of a probability: piecewise linear through (0, 0), (medium, 50),
 * (high, 80) and (1, 100), so it rises with the probability and crosses 80 exactly at the HIGH
 * threshold, wherever the calibrated probabilities of a rare failure lie. (With 0.5 and 0.8 it
 * is probability x 100.)
 */
export function riskScore(probability: number, thresholds: RiskThresholds): number {
  const p = Math.min(1, Math.max(0, probability));
  if (p <= thresholds.medium) return between(p, 0, thresholds.medium, 0, MEDIUM_RISK_SCORE);
  if (p <= thresholds.high) return between(p, thresholds.medium, thresholds.high, MEDIUM_RISK_SCORE, HIGH_RISK_SCORE);
  return between(p, thresholds.high, 1, HIGH_RISK_SCORE, 100);
}

/** Probability to the integer risk score and level the API and batch scoring report (HIGH above 80). */
export function riskOf(probability: number, thresholds: RiskThresholds): { risk_score: number; risk_level: RiskLevel } {
  const level: RiskLevel = probability > thresholds.high ? 'HIGH' : probability > thresholds.medium ? 'MEDIUM' : 'LOW';
  const [lowest, highest] = SCORE_BANDS[level];
  return { risk_score: Math.min(highest, Math.max(lowest, Math.round(riskScore(probability, thresholds)))), risk_level: level };
}
