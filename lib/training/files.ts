import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { parquetToRows } from '../lake/parquet.js';
import { datasetFromRows, subsetDataset } from '../ml/dataset.js';
import { trainGbdt } from '../ml/gbdt.js';
import { calibrateModel } from '../ml/calibration.js';
import { binaryMetrics } from '../ml/metrics.js';
import { predictProbabilities, serializeModel } from '../ml/model.js';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, exportOnnx } from '../ml/onnx.js';
import { VERSION } from '../app/version.js';
import { riskOf, type ModelCard } from '../registry/card.js';
import { newVersion } from '../registry/registry.js';
import type { Row } from '../sources/schema.js';
import { parseCsv } from '../standards/csv.js';
import { DEFAULT_TRAINING_PARAMS, hashDataset } from './fit.js';
import { chooseRiskThresholds } from './thresholds.js';

/**
 * The analysts' mode: train on any CSV or Parquet file with a 0/1 label column and score files
 * with the result, without the lake or the registry.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Rows of a CSV (numbers parsed where the text is numeric) or Parquet file. */
export async function readTableFile(file: string): Promise<Row[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new InputError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  if (file.endsWith('.parquet')) return parquetToRows(bytes);
  if (!file.endsWith('.csv')) throw new InputError(`${file}: expected a .csv or .parquet file`);
  const records = parseCsv(bytes.toString('utf8'), file, []);
  if (records.length === 0) throw new InputError(`${file}: no data rows`);
  return records.map((record) => {
    const row: Row = {};
    for (const [column, text] of Object.entries(record.values)) {
      const trimmed = text.trim();
      row[column] = trimmed === '' ? null : Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
    }
    return row;
  });
}

/** Deterministic shuffle (mulberry32) so the same file gives the same split. */
function shuffledIndices(n: number, seed: number): Uint32Array {
  const indices = Uint32Array.from({ length: n }, (_, i) => i);
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indices[i], indices[j]] = [indices[j]!, indices[i]!];
  }
  return indices;
}

export interface FileTrainingResult {
  readonly card: ModelCard;
  readonly files: readonly string[];
}

export async function trainFromFile(input: string, label: string, features: readonly string[] | undefined, outDir: string): Promise<FileTrainingResult> {
  const rows = await readTableFile(input);
  const columns = Object.keys(rows[0] ?? {});
  if (!columns.includes(label)) throw new InputError(`${input}: no label column "${label}"; columns: ${columns.join(', ')}`);
  const names = features ?? columns.filter((c) => c !== label && rows.every((r) => typeof r[c] === 'number'));
  const missing = names.filter((n) => !columns.includes(n));
  if (missing.length > 0) throw new InputError(`${input}: no column ${missing.join(', ')}; columns: ${columns.join(', ')}`);
  if (names.length === 0) throw new InputError(`${input}: no numeric feature columns besides the label`);
  let data;
  try {
    data = datasetFromRows(rows, { features: names, label });
  } catch (error) {
    throw new InputError(`${input}: ${(error as Error).message.replace(/^row (\d+)/, (_, r: string) => `data row ${Number(r) + 1}`)}`);
  }
  // Random 70 / 15 / 15 split: a file has no time order to respect.
  const order = shuffledIndices(data.nRows, 42);
  const cut1 = Math.floor(data.nRows * 0.7);
  const cut2 = Math.floor(data.nRows * 0.85);
  const train = subsetDataset(data, order.subarray(0, cut1));
  const validation = subsetDataset(data, order.subarray(cut1, cut2));
  const holdout = subsetDataset(data, order.subarray(cut2));
  const trained = trainGbdt(train, { params: DEFAULT_TRAINING_PARAMS, validation });
  const model = calibrateModel(trained.model, validation);
  const { thresholds } = chooseRiskThresholds(validation.y, predictProbabilities(model, validation.x, validation.nRows));
  const metrics = binaryMetrics(holdout.y, predictProbabilities(model, holdout.x, holdout.nRows), thresholds.high);
  const version = newVersion();
  const card: ModelCard = {
    name: path.basename(input).replace(/\.(csv|parquet)$/, ''),
    version,
    created: new Date().toISOString(),
    codeVersion: VERSION,
    trainingWindow: { from: 'random split', to: 'random split' },
    rowCounts: { train: train.nRows, validation: validation.nRows, holdout: holdout.nRows },
    dataHash: hashDataset(train),
    features: names.map((name, f) => {
      let min = Infinity;
      let max = -Infinity;
      for (let r = 0; r < train.nRows; r++) {
        const v = train.x[r * names.length + f]!;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      return { name, min, max };
    }),
    label,
    hyperparameters: { ...trained.params, classWeight: JSON.stringify(trained.params.classWeight), treesKept: trained.bestIteration },
    metrics: { roc_auc: metrics.rocAuc, pr_auc: metrics.prAuc, brier: metrics.brier, accuracy: metrics.accuracy, precision: metrics.precision, recall: metrics.recall, f1: metrics.f1 },
    calibration: { method: 'platt', a: model.calibration?.a ?? 1, b: model.calibration?.b ?? 0 },
    thresholds,
  };
  await mkdir(outDir, { recursive: true });
  const files = [path.join(outDir, 'model.onnx'), path.join(outDir, 'model.json'), path.join(outDir, 'card.json')];
  await writeFile(files[0]!, exportOnnx(model, { modelVersion: version }));
  await writeFile(files[1]!, serializeModel(model));
  await writeFile(files[2]!, JSON.stringify(card, null, 2));
  return { card, files };
}

/** Scores a file with a model folder written by `trainFromFile` (or downloaded from the registry). */
export async function predictFile(modelDir: string, input: string): Promise<{ rows: Row[]; card: ModelCard }> {
  let card: ModelCard;
  let onnx: Buffer;
  try {
    card = JSON.parse(await readFile(path.join(modelDir, 'card.json'), 'utf8')) as ModelCard;
    onnx = await readFile(path.join(modelDir, 'model.onnx'));
  } catch (error) {
    throw new InputError(`${modelDir}: not a model folder (needs model.onnx and card.json): ${(error as Error).message}`);
  }
  const rows = await readTableFile(input);
  const names = card.features.map((f) => f.name);
  const x = new Float32Array(rows.length * names.length);
  rows.forEach((row, r) =>
    names.forEach((name, f) => {
      const value = row[name];
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new InputError(`${input}: data row ${r + 1}: ${name} must be a number, got ${JSON.stringify(value)}`);
      x[r * names.length + f] = value;
    }),
  );
  const session = await ort.InferenceSession.create(onnx);
  try {
    const output = await session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', x, [rows.length, names.length]) });
    const probabilities = output[ONNX_OUTPUT_NAME]!.data as Float32Array;
    return {
      card,
      rows: rows.map((row, r) => {
        const p = probabilities[r]!;
        return { ...row, probability: p, ...riskOf(p, card.thresholds) };
      }),
    };
  } finally {
    await session.release();
  }
}
