import * as ort from 'onnxruntime-node';
import { treeShap, parseModel, type GbdtModel } from '../ml/model.js';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../ml/onnx.js';
import type { ModelCard } from '../registry/card.js';
import type { ModelRegistry } from '../registry/registry.js';

/** A registered version ready to score: the ONNX session for probabilities, the trees for explanations. */
export interface LoadedModel {
  readonly version: string;
  readonly card: ModelCard;
  readonly trees: GbdtModel;
  readonly session: ort.InferenceSession;
}

export interface Factor {
  readonly feature: string;
  readonly value: number;
  /** Signed contribution to the log-odds of failure (TreeSHAP). */
  readonly contribution: number;
}

export async function loadModel(registry: ModelRegistry, version: string): Promise<LoadedModel> {
  const [card, onnx, treesJson] = await Promise.all([registry.card(version), registry.onnx(version), registry.treesJson(version)]);
  return { version, card, trees: parseModel(treesJson), session: await ort.InferenceSession.create(onnx) };
}

/** Probabilities of `rows` feature vectors (row-major, the card's feature order) in one ONNX run. */
export async function scoreRows(model: LoadedModel, x: Float32Array, rows: number): Promise<Float32Array> {
  if (rows === 0) return new Float32Array(0);
  const features = model.card.features.length;
  const output = await model.session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', x, [rows, features]) });
  return output[ONNX_OUTPUT_NAME]!.data as Float32Array;
}

/** The `top` features that moved this row's log-odds most, signed. */
export function topFactors(model: LoadedModel, row: ArrayLike<number>, top = 3): Factor[] {
  const explanation = treeShap(model.trees, row);
  return model.trees.featureNames
    .map((feature, f) => ({ feature, value: row[f]!, contribution: explanation.contributions[f]! }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, top);
}
