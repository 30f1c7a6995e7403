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
  /** Holdout metrics (roc_auc, pr_auc, brier, accuracy, precision, recall, f1, ...). */
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly calibration: Readonly<Record<string, number | string>>;
  /** Probability thresholds: HIGH above `high` (risk score > 80 means p > 0.8). */
  readonly thresholds: { readonly high: number; readonly medium: number };
  /** Anything else the trainer reports (confusion matrix, lead times, ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export const MODEL_ALIASES = ['production', 'staging'] as const;
export type ModelAlias = (typeof MODEL_ALIASES)[number];

export function isModelAlias(value: string): value is ModelAlias {
  return (MODEL_ALIASES as readonly string[]).includes(value);
}

export type RiskLevel = 'LOW' | 'MEDIUM' | 'HIGH';

/** Probability to the 0-100 risk score and level the API and batch scoring report (HIGH above 80). */
export function riskOf(probability: number, thresholds: ModelCard['thresholds']): { risk_score: number; risk_level: RiskLevel } {
  const level: RiskLevel = probability > thresholds.high ? 'HIGH' : probability > thresholds.medium ? 'MEDIUM' : 'LOW';
  return { risk_score: Math.round(probability * 100), risk_level: level };
}
