import { createHash } from 'node:crypto';
import { calibrateModel } from '../ml/calibration.js';
import { subsetDataset, type Dataset } from '../ml/dataset.js';
import { DEFAULT_GBDT_PARAMS, trainGbdt, type GbdtParams } from '../ml/gbdt.js';
import { binaryMetrics, leadTimes, thresholdMetrics, type BinaryMetrics, type LeadTimeReport, type ThresholdMetrics } from '../ml/metrics.js';
import { predictProbabilities, type GbdtModel } from '../ml/model.js';
import { timeSplit, type TimeSplit, type TimeSplitOptions } from '../ml/split.js';
import { chooseRiskThresholds, type ChosenThresholds } from './thresholds.js';

/**
 * Fitting a failure model on labelled device-days: time split (train, validate, hold out the
 * newest, 7-day gaps), GBDT with early stopping and class weighting on validation, Platt
 * calibration and the risk levels' thresholds on validation, metrics and warning lead times at
 * those thresholds on the holdout.
 */
export interface LabelledDays {
  readonly data: Dataset;
  /** Feature day (epoch ms) and device of each row. */
  readonly featureDays: Float64Array;
  readonly devices: readonly string[];
  /** 1 when the row's label window is complete. */
  readonly labelObserved: Uint8Array;
}

export interface FitResult {
  readonly model: GbdtModel;
  readonly params: GbdtParams;
  readonly split: TimeSplit;
  readonly holdout: Dataset;
  readonly holdoutProbabilities: Float64Array;
  /** Chosen on the validation split. */
  readonly thresholds: ChosenThresholds;
  /** Holdout metrics, the threshold ones at HIGH. */
  readonly metrics: BinaryMetrics;
  /** Warning lead times at HIGH on the holdout. */
  readonly leadTime: LeadTimeReport;
  /** The same at MEDIUM (the wider watch list). */
  readonly atMedium: { readonly metrics: ThresholdMetrics; readonly leadTime: LeadTimeReport };
  readonly treesKept: number;
  readonly dataHash: string;
  readonly featureRanges: { name: string; min: number; max: number }[];
}

/** The lake does not yet hold enough labelled days (or failures) to train and evaluate a model. */
export class NotEnoughData extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotEnoughData';
  }
}

export const DEFAULT_TRAINING_PARAMS: Partial<GbdtParams> = {
  ...DEFAULT_GBDT_PARAMS,
  learningRate: 0.08,
  maxTrees: 400,
  maxDepth: 5,
  maxLeaves: 24,
  minSamplesLeaf: 40,
  lambda: 2,
  earlyStoppingRounds: 30,
  classWeight: 'balanced',
};

/** SHA-256 over the feature matrix and labels: the same training data, the same hash. */
export function hashDataset(data: Dataset): string {
  const hash = createHash('sha256');
  hash.update(data.featureNames.join(','));
  hash.update(new Uint8Array(Float64Array.from(data.x).buffer));
  hash.update(data.y);
  return hash.digest('hex');
}

function ranges(data: Dataset): { name: string; min: number; max: number }[] {
  const n = data.featureNames.length;
  return data.featureNames.map((name, f) => {
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < data.nRows; r++) {
      const v = data.x[r * n + f]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { name, min: data.nRows ? min : 0, max: data.nRows ? max : 0 };
  });
}

export function fitFailureModel(days: LabelledDays, params: Partial<GbdtParams> = DEFAULT_TRAINING_PARAMS, splitOptions: TimeSplitOptions = {}): FitResult {
  let split: TimeSplit;
  try {
    split = timeSplit(days.featureDays, days.labelObserved, splitOptions);
  } catch (error) {
    throw new NotEnoughData(`${(error as Error).message} (a time split needs about 7 weeks of labelled days)`);
  }
  const train = subsetDataset(days.data, split.train);
  const validation = subsetDataset(days.data, split.validation);
  const holdout = subsetDataset(days.data, split.holdout);
  for (const [name, set] of [['training', train], ['validation', validation]] as const) {
    const positives = set.y.reduce((a, b) => a + b, 0);
    if (positives === 0 || positives === set.nRows) {
      throw new NotEnoughData(`The ${name} split has ${positives} failures in ${set.nRows} device-days: both outcomes are needed; simulate or ingest more days`);
    }
  }
  const trained = trainGbdt(train, { params, validation });
  const model = calibrateModel(trained.model, validation);
  const thresholds = chooseRiskThresholds(validation.y, predictProbabilities(model, validation.x, validation.nRows));
  const { high, medium } = thresholds.thresholds;
  const holdoutProbabilities = predictProbabilities(model, holdout.x, holdout.nRows);
  const holdoutDays = Float64Array.from(split.holdout, (i) => days.featureDays[i]!);
  const holdoutDevices = Array.from(split.holdout, (i) => days.devices[i]!);
  const leadTimesAbove = (threshold: number): LeadTimeReport => leadTimes(holdoutDevices, holdoutDays, holdout.y, holdoutProbabilities, threshold);
  return {
    model,
    params: trained.params,
    split,
    holdout,
    holdoutProbabilities,
    thresholds,
    metrics: binaryMetrics(holdout.y, holdoutProbabilities, high),
    leadTime: leadTimesAbove(high),
    atMedium: { metrics: thresholdMetrics(holdout.y, holdoutProbabilities, medium), leadTime: leadTimesAbove(medium) },
    treesKept: trained.bestIteration,
    dataHash: hashDataset(train),
    featureRanges: ranges(train),
  };
}
