/**
 * A training table in the shape the trainer wants: a row-major feature matrix, 0/1 labels and
 * optional row weights. `datasetFromRows` builds one from plain rows (e.g. gold
 * `device_features`), naming the row and field of any value it cannot use.
 */
import { FEATURE_NAMES } from '../features/deviceFeatures.js';

export interface Dataset {
  readonly featureNames: readonly string[];
  readonly nRows: number;
  /** Row-major: x[row * featureNames.length + feature]. */
  readonly x: Float64Array | Float32Array;
  /** Labels, 0 or 1. */
  readonly y: Uint8Array;
  /** Optional non-negative row weights (multiplied with any class weights). */
  readonly weights?: Float64Array;
}

export const DEVICE_FAILURE_LABEL = 'failure_within_7d';

export interface DatasetFromRowsOptions {
  readonly features?: readonly string[];
  readonly label?: string;
}

/** Builds a dataset from rows; throws naming the first row and field that is not a finite number / 0-1 label. */
export function datasetFromRows(rows: readonly Readonly<Record<string, unknown>>[], options: DatasetFromRowsOptions = {}): Dataset {
  const featureNames = options.features ?? FEATURE_NAMES;
  const label = options.label ?? DEVICE_FAILURE_LABEL;
  const nFeatures = featureNames.length;
  const x = new Float64Array(rows.length * nFeatures);
  const y = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Readonly<Record<string, unknown>>;
    for (let f = 0; f < nFeatures; f++) {
      const name = featureNames[f] as string;
      const value = row[name];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new Error(`row ${i}: feature ${name} must be a finite number, got ${JSON.stringify(value) ?? String(value)}`);
      }
      x[i * nFeatures + f] = value;
    }
    const target = row[label];
    if (target !== 0 && target !== 1 && target !== true && target !== false) {
      throw new Error(`row ${i}: label ${label} must be 0 or 1, got ${JSON.stringify(target) ?? String(target)}`);
    }
    y[i] = target === 1 || target === true ? 1 : 0;
  }
  return { featureNames, nRows: rows.length, x, y };
}

/** The rows at `indices`, in that order. */
export function subsetDataset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const nFeatures = data.featureNames.length;
  const n = indices.length;
  const x = new Float64Array(n * nFeatures);
  const y = new Uint8Array(n);
  const weights = data.weights ? new Float64Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const r = indices[i] as number;
    x.set(data.x.subarray(r * nFeatures, (r + 1) * nFeatures), i * nFeatures);
    y[i] = data.y[r] as number;
    if (weights) weights[i] = (data.weights as Float64Array)[r] as number;
  }
  return weights ? { featureNames: data.featureNames, nRows: n, x, y, weights } : { featureNames: data.featureNames, nRows: n, x, y };
}

/** Checks shapes and values; throws a message naming the offending row and feature. */
export function validateDataset(data: Dataset, what = 'dataset'): void {
  const nFeatures = data.featureNames.length;
  if (nFeatures === 0) throw new Error(`${what}: no features`);
  if (data.x.length !== data.nRows * nFeatures) throw new Error(`${what}: x has ${data.x.length} values, expected ${data.nRows} rows x ${nFeatures} features`);
  if (data.y.length !== data.nRows) throw new Error(`${what}: y has ${data.y.length} labels, expected ${data.nRows}`);
  if (data.weights && data.weights.length !== data.nRows) throw new Error(`${what}: weights has ${data.weights.length} values, expected ${data.nRows}`);
  for (let i = 0; i < data.x.length; i++) {
    const v = data.x[i] as number;
    if (!Number.isFinite(v) || !Number.isFinite(Math.fround(v))) {
      const row = Math.floor(i / nFeatures);
      throw new Error(`${what}: row ${row}, feature ${data.featureNames[i % nFeatures]}: ${v} is not a finite float32 value (missing values are not supported)`);
    }
  }
  for (let i = 0; i < data.nRows; i++) {
    const label = data.y[i] as number;
    if (label !== 0 && label !== 1) throw new Error(`${what}: row ${i}: label ${label} is not 0 or 1`);
    if (data.weights) {
      const w = data.weights[i] as number;
      if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`${what}: row ${i}: weight ${w} must be a finite number >= 0`);
    }
  }
}
