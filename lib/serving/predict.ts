/**
 * Scoring validated requests with a serving model: the probability from the ONNX session (one
 * run for any number of rows), the explanation from the trees with exact TreeSHAP on the
 * calibrated log-odds scale (per-leaf tables precomputed at load, shap.ts). The risk score and level come from the registry's `riskOf`, as in
 * batch scoring.
 */
import * as ort from 'onnxruntime-node';
import type { FeatureName } from '../features/deviceFeatures.js';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../ml/onnx.js';
import { riskOf } from '../registry/card.js';
import { TOP_FACTORS, type DeviceFeaturesRequest, type Factor, type Prediction } from './contract.js';
import type { ServingModel } from './modelCache.js';

/** The `count` features with the largest |contribution|, largest first (ties: model order). */
export function topFactors(inputs: readonly FeatureName[], values: ArrayLike<number>, contributions: ArrayLike<number>, count = TOP_FACTORS): Factor[] {
  const order = inputs.map((_, i) => i).sort((a, b) => Math.abs(contributions[b] as number) - Math.abs(contributions[a] as number) || a - b);
  return order.slice(0, count).map((i) => ({ feature: inputs[i] as FeatureName, value: values[i] as number, contribution: contributions[i] as number }));
}

/** Row-major float32 matrix of validated requests or gold feature rows, in the model's input order. */
export function inputMatrix(model: ServingModel, rows: readonly Readonly<Record<string, unknown>>[]): Float32Array {
  const width = model.inputs.length;
  const x = new Float32Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as Readonly<Record<string, unknown>>;
    for (let f = 0; f < width; f++) x[r * width + f] = row[model.inputs[f] as FeatureName] as number;
  }
  return x;
}

/** Probabilities of `rows` rows from one ONNX run. */
export async function onnxProbabilities(model: ServingModel, x: Float32Array, rows: number): Promise<Float32Array> {
  const width = model.inputs.length;
  const output = await model.session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', x, [rows, width]) });
  const tensor = output[ONNX_OUTPUT_NAME];
  if (!tensor) throw new Error(`Model ${model.version} gave no "${ONNX_OUTPUT_NAME}" output`);
  const data = tensor.data;
  if (!(data instanceof Float32Array) || data.length !== rows) throw new Error(`Model ${model.version} gave ${String(data.length)} probabilities for ${rows} rows`);
  return data;
}

/** Scores requests (already validated) in one ONNX run; one prediction per request, in order. */
export async function predict(model: ServingModel, requests: readonly DeviceFeaturesRequest[]): Promise<Prediction[]> {
  if (requests.length === 0) return [];
  const width = model.inputs.length;
  const x = inputMatrix(model, requests);
  const probabilities = await onnxProbabilities(model, x, requests.length);
  const predictions: Prediction[] = new Array(requests.length);
  for (let r = 0; r < requests.length; r++) {
    const request = requests[r] as DeviceFeaturesRequest;
    // The SHAP row is the float32 input the ONNX model saw, so both take the same branches.
    const shap = model.explain(x, r * width);
    const values = model.inputs.map((name) => request[name]);
    const probability = probabilities[r] as number;
    const contributions: Record<string, number> = {};
    model.inputs.forEach((name, f) => (contributions[name] = shap.contributions[f] as number));
    predictions[r] = {
      device_id: request.device_id,
      probability,
      ...riskOf(probability, model.thresholds),
      top_factors: topFactors(model.inputs, values, shap.contributions),
      explanation: { base_value: shap.expectedValue, margin: shap.margin, contributions },
      model_version: model.version,
    };
  }
  return predictions;
}
