/**
 * A real model for serving tests and benchmarks without running the pipeline: synthetic
 * device-days with a wear-driven failure signal (lib/ml/synthetic.ts) fitted with the production
 * recipe (lib/training/fit.ts: time split, GBDT, Platt), exported to ONNX and registered with its
 * card and trees, exactly as the training job registers one.
 */
import type { GbdtParams } from '../ml/gbdt.js';
import { serializeModel, type GbdtModel } from '../ml/model.js';
import { exportOnnx } from '../ml/onnx.js';
import { syntheticDeviceDays } from '../ml/synthetic.js';
import type { ModelCard } from '../registry/card.js';
import { newVersion, type ModelRegistry } from '../registry/registry.js';
import { DEFAULT_TRAINING_PARAMS, fitFailureModel } from '../training/fit.js';
import { modelCard } from '../training/job.js';

export interface SyntheticModelOptions {
  readonly devices?: number;
  /** Labelled feature days per device; the time split needs about 7 weeks. */
  readonly days?: number;
  readonly seed?: number;
  readonly params?: Partial<GbdtParams>;
}

export interface SyntheticModel {
  readonly card: ModelCard;
  readonly model: GbdtModel;
  readonly onnx: Uint8Array;
  readonly treesJson: string;
}

export function trainSyntheticModel(options: SyntheticModelOptions = {}, modelName = 'device-failure'): SyntheticModel {
  const data = syntheticDeviceDays({ devices: options.devices ?? 300, days: options.days ?? 70, seed: options.seed ?? 1, startDay: Date.UTC(2026, 0, 1) });
  const fit = fitFailureModel(
    {
      data: data.dataset,
      featureDays: data.featureDay,
      devices: Array.from(data.device, (d) => `DEV-${String(d).padStart(5, '0')}`),
      labelObserved: data.labelObserved,
    },
    { ...DEFAULT_TRAINING_PARAMS, ...options.params },
    { holdoutDays: 14, validationDays: 14 },
  );
  const version = newVersion();
  const card = modelCard(fit, version, modelName);
  return { card, model: fit.model, onnx: exportOnnx(fit.model, { modelVersion: version }), treesJson: serializeModel(fit.model) };
}

/** Trains on synthetic data and registers the version (no alias is moved). */
export async function registerSyntheticModel(registry: ModelRegistry, options: SyntheticModelOptions = {}): Promise<SyntheticModel> {
  const trained = trainSyntheticModel(options, registry.modelName);
  await registry.register(trained.card, trained.onnx, trained.treesJson);
  return trained;
}
