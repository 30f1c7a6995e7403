import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, test } from 'vitest';
import { Rng } from '../simulate/random.js';
import { calibrateModel } from './calibration.js';
import { subsetDataset } from './dataset.js';
import { trainGbdt } from './gbdt.js';
import type { GbdtModel } from './model.js';
import { predictProbability, sigmoid } from './model.js';
import { exportOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './onnx.js';
import { syntheticDeviceDays } from './synthetic.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const workDir = mkdtempSync(path.join(tmpdir(), 'lims-onnx-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** The float32 values just below and above a float32 value. */
function float32Neighbours(v: number): [number, number] {
  const f = new Float32Array([v]);
  const bits = new Int32Array(f.buffer);
  const step = (delta: number): number => {
    const g = new Float32Array([v]);
    const b = new Int32Array(g.buffer);
    if (v === 0) {
      b[0] = delta > 0 ? 1 : -2147483647; // smallest subnormals of either sign
      return g[0] as number;
    }
    b[0] = (bits[0] as number) + (v > 0 ? delta : -delta);
    return g[0] as number;
  };
  return [step(-1), step(1)];
}

async function onnxProbabilities(bytes: Uint8Array, x: Float32Array, nFeatures: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    expect(session.inputNames).toEqual([ONNX_INPUT_NAME]);
    expect(session.outputNames).toEqual([ONNX_OUTPUT_NAME]);
    const out = await session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', x, [x.length / nFeatures, nFeatures]) });
    const tensor = out[ONNX_OUTPUT_NAME] as ort.Tensor;
    expect(tensor.dims).toEqual([x.length / nFeatures, 1]);
    return tensor.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Rows that probe the model: real rows, random values, and every split threshold and its float32 neighbours. */
function probeRows(model: GbdtModel, real: Float64Array, rng: Rng): Float32Array {
  const nFeatures = model.featureNames.length;
  const nReal = real.length / nFeatures;
  const rows: number[] = [];
  const realRow = (): number[] => {
    const r = rng.int(nReal);
    return Array.from(real.subarray(r * nFeatures, (r + 1) * nFeatures));
  };
  for (let i = 0; i < 2_000; i++) rows.push(...realRow());
  const lo = new Array<number>(nFeatures).fill(Infinity);
  const hi = new Array<number>(nFeatures).fill(-Infinity);
  for (let i = 0; i < real.length; i++) {
    const f = i % nFeatures;
    lo[f] = Math.min(lo[f] as number, real[i] as number);
    hi[f] = Math.max(hi[f] as number, real[i] as number);
  }
  for (let i = 0; i < 2_000; i++) {
    for (let f = 0; f < nFeatures; f++) {
      const span = (hi[f] as number) - (lo[f] as number);
      rows.push((lo[f] as number) - 0.1 * span + 1.2 * span * rng.next());
    }
  }
  let probes = 0;
  for (const tree of model.trees) {
    for (let node = 0; node < tree.feature.length && probes < 3_000; node++) {
      const f = tree.feature[node] as number;
      if (f < 0) continue;
      const t = tree.threshold[node] as number;
      for (const v of [t, ...float32Neighbours(t)]) {
        const row = realRow();
        row[f] = v;
        rows.push(...row);
        probes++;
      }
    }
  }
  return Float32Array.from(rows);
}

function maxDifference(model: GbdtModel, x: Float32Array, onnx: Float32Array): number {
  const nFeatures = model.featureNames.length;
  let max = 0;
  for (let i = 0; i < onnx.length; i++) max = Math.max(max, Math.abs((onnx[i] as number) - predictProbability(model, x, i * nFeatures)));
  return max;
}

const data = syntheticDeviceDays({ devices: 400, days: 60, seed: 21 });
const half = data.dataset.nRows / 2;
const train = subsetDataset(data.dataset, Uint32Array.from({ length: half }, (_, i) => i));
const validation = subsetDataset(data.dataset, Uint32Array.from({ length: half }, (_, i) => half + i));
const trained = trainGbdt(train, { validation, params: { maxTrees: 120, maxLeaves: 31, earlyStoppingRounds: 30, classWeight: 'balanced' } });
const calibrated = calibrateModel(trained.model, validation);

describe('ONNX export', () => {
  test('onnxruntime probabilities equal the TypeScript model within 1e-6 (calibrated)', async () => {
    expect(calibrated.trees.length).toBeGreaterThan(10);
    const x = probeRows(calibrated, validation.x as Float64Array, new Rng(1));
    expect(x.length / 10).toBeGreaterThan(5_000);
    const bytes = exportOnnx(calibrated, { modelVersion: 'test-1' });
    const onnx = await onnxProbabilities(bytes, x, 10);
    expect(maxDifference(calibrated, x, onnx)).toBeLessThan(1e-6);
  });

  test('parity for the uncalibrated model too, and for every split threshold', async () => {
    const model = trained.model;
    const x = probeRows(model, train.x as Float64Array, new Rng(2));
    const onnx = await onnxProbabilities(exportOnnx(model), x, 10);
    expect(maxDifference(model, x, onnx)).toBeLessThan(1e-6);
  });

  test('an ensemble without trees is its base score', async () => {
    const model: GbdtModel = { featureNames: ['a', 'b'], baseScore: -1.25, trees: [], calibration: { method: 'platt', a: 2, b: 0.5 } };
    const onnx = await onnxProbabilities(exportOnnx(model), Float32Array.from([0, 1, 2, 3]), 2);
    expect(onnx[0]).toBeCloseTo(sigmoid(2 * -1.25 + 0.5), 6);
    expect(onnx[1]).toBeCloseTo(sigmoid(2 * -1.25 + 0.5), 6);
  });

  test("passes ONNX's own checker (full_check), when python3-onnx is installed", (ctx) => {
    const file = path.join(workDir, 'model.onnx');
    writeFileSync(file, exportOnnx(calibrated, { modelVersion: 'test-1', metadata: { trained_on: 'synthetic' } }));
    const run = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'reference/onnx_check.py'), file], { encoding: 'utf8' });
    if (run.error || run.status === 3) {
      ctx.skip(`ONNX checker skipped: ${run.error ? `/usr/bin/python3 not runnable (${run.error.message})` : run.stderr.trim()} (apt-get install python3-onnx)`);
    }
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as { ir_version: number; opsets: Record<string, number>; nodes: string[]; metadata: Record<string, string> };
    expect(report.ir_version).toBe(8);
    expect(report.opsets).toEqual({ 'ai.onnx': 17, 'ai.onnx.ml': 3 });
    expect(report.nodes).toEqual(['Cast', 'TreeEnsembleRegressor', 'Sigmoid']);
    expect(report.metadata.model_version).toBe('test-1');
    expect(report.metadata.trained_on).toBe('synthetic');
    expect(JSON.parse(report.metadata.feature_names as string)).toEqual(calibrated.featureNames);
    // And it does reject a broken file.
    const broken = path.join(workDir, 'broken.onnx');
    writeFileSync(broken, exportOnnx(calibrated).subarray(0, 200));
    const bad = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'reference/onnx_check.py'), broken], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
  });
});
