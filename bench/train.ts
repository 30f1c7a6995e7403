/**
 * Training at the seed's scale: 900K synthetic device-days (10K devices x 90 days, ten features,
 * a wear-driven failure signal; lib/ml/synthetic.ts), on one thread.
 *
 *  1. the production recipe: time split (train / 7-day gap / validation / 7-day gap / holdout),
 *     GBDT with early stopping on the validation split, Platt calibration, risk thresholds chosen
 *     on validation, holdout metrics and lead times at HIGH;
 *  2. the worst case: all 900K rows, a fixed 200 trees of depth 6 (up to 64 leaves), no
 *     early stopping;
 *  3. ONNX export of the calibrated model, onnxruntime session creation and holdout scoring.
 *
 * Prints wall times and the process's peak RSS (process.resourceUsage().maxRSS).
 * Usage: node dist/bench/train.js [--devices 10000] [--days 90] [--trees 200] [--depth 6]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { calibrateModel } from '../lib/ml/calibration.js';
import { subsetDataset } from '../lib/ml/dataset.js';
import { trainGbdt } from '../lib/ml/gbdt.js';
import { binaryMetrics, leadTimes } from '../lib/ml/metrics.js';
import { predictProbabilities } from '../lib/ml/model.js';
import { exportOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../lib/ml/onnx.js';
import { timeSplit } from '../lib/ml/split.js';
import { syntheticDeviceDays } from '../lib/ml/synthetic.js';
import { chooseRiskThresholds } from '../lib/training/thresholds.js';
import { peakRssMb } from './figures.js';

const { values } = parseArgs({
  options: { devices: { type: 'string' }, days: { type: 'string' }, trees: { type: 'string' }, depth: { type: 'string' } },
  strict: false,
});
const numberArg = (name: string, fallback: number): number => (typeof values[name] === 'string' ? Number(values[name]) : fallback);
const devices = numberArg('devices', 10_000);
const days = numberArg('days', 90);
const fixedTrees = numberArg('trees', 200);
const depth = numberArg('depth', 6);

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
/** Wall time and this process's CPU time of `run` (CPU time is the fairer figure on a shared machine). */
function timed<T>(run: () => T): { value: T; wallMs: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = run();
  const used = process.cpuUsage(cpu);
  return { value, wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}
const load = (): string => `load average ${loadavg()[0]?.toFixed(1)} on 2 cores`;
const fmt = (v: number | null): string => (v === null || Number.isNaN(v) ? 'n/a' : v.toFixed(4));

let t = performance.now();
const data = syntheticDeviceDays({ devices, days, seed: 7 });
const positives = data.dataset.y.reduce((s, v) => s + v, 0);
console.log(`data: ${data.dataset.nRows.toLocaleString('en-US')} device-days x ${data.dataset.featureNames.length} features, ${(positives / data.dataset.nRows * 100).toFixed(2)}% positive, generated in ${seconds(performance.now() - t)}`);

// 1. Production recipe.
t = performance.now();
const split = timeSplit(data.featureDay, data.labelObserved);
const train = subsetDataset(data.dataset, split.train);
const validation = subsetDataset(data.dataset, split.validation);
const holdout = subsetDataset(data.dataset, split.holdout);
const splitMs = performance.now() - t;
const { value: trained, wallMs: trainMs, cpuMs: trainCpuMs } = timed(() =>
  trainGbdt(train, { validation, params: { classWeight: 'balanced', maxDepth: depth, maxLeaves: 31, maxTrees: 500, earlyStoppingRounds: 20 } }),
);
t = performance.now();
const model = calibrateModel(trained.model, validation);
const calibrateMs = performance.now() - t;
const { thresholds } = chooseRiskThresholds(validation.y, predictProbabilities(model, validation.x, validation.nRows));
const probabilities = predictProbabilities(model, holdout.x, holdout.nRows);
const metrics = binaryMetrics(holdout.y, probabilities, thresholds.high);
const leads = leadTimes(
  Array.from(split.holdout, (i) => data.device[i] as number),
  Array.from(split.holdout, (i) => data.featureDay[i] as number),
  holdout.y,
  probabilities,
  thresholds.high,
);
console.log(`\nproduction recipe: split ${split.train.length.toLocaleString('en-US')} train / ${split.validation.length.toLocaleString('en-US')} validation / ${split.holdout.length.toLocaleString('en-US')} holdout rows (${seconds(splitMs)})`);
console.log(`  train: ${seconds(trainMs)} (CPU ${seconds(trainCpuMs)}), ${trained.treesGrown} trees grown, ${trained.bestIteration} kept (early stopping: ${trained.stoppedEarly})`);
console.log(`  Platt calibration: a=${model.calibration?.a.toFixed(4)} b=${model.calibration?.b.toFixed(4)} (${seconds(calibrateMs)})`);
console.log(`  holdout: ROC-AUC ${fmt(metrics.rocAuc)}, PR-AUC ${fmt(metrics.prAuc)}, Brier ${fmt(metrics.brier)}, log-loss ${fmt(metrics.logLoss)}`);
console.log(`  thresholds chosen on validation: MEDIUM p > ${thresholds.medium.toFixed(4)} (recall 0.8), HIGH p > ${thresholds.high.toFixed(4)} (max F1)`);
console.log(`  at HIGH (p > ${thresholds.high.toFixed(4)}, risk score > 80): accuracy ${fmt(metrics.accuracy)}, precision ${fmt(metrics.precision)}, recall ${fmt(metrics.recall)}, F1 ${fmt(metrics.f1)}, confusion ${JSON.stringify(metrics.confusion)}`);
console.log(`  lead time at HIGH: ${leads.detected}/${leads.failures} failures flagged, median ${leads.medianDays ?? 'n/a'} days, distribution ${JSON.stringify(leads.distribution)}`);

// 3. ONNX export and onnxruntime.
t = performance.now();
const onnx = exportOnnx(model, { modelVersion: 'bench' });
const exportMs = performance.now() - t;
t = performance.now();
const session = await ort.InferenceSession.create(onnx);
const sessionMs = performance.now() - t;
t = performance.now();
const output = await session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', Float32Array.from(holdout.x), [holdout.nRows, holdout.featureNames.length]) });
const scoreMs = performance.now() - t;
const onnxProbabilities = output[ONNX_OUTPUT_NAME]?.data as Float32Array;
let maxDiff = 0;
for (let i = 0; i < holdout.nRows; i++) maxDiff = Math.max(maxDiff, Math.abs((onnxProbabilities[i] as number) - (probabilities[i] as number)));
console.log(`\nONNX: export ${seconds(exportMs)} (${(onnx.length / 1024).toFixed(0)} KB), session ${seconds(sessionMs)}, scoring ${holdout.nRows.toLocaleString('en-US')} rows ${seconds(scoreMs)}, max |onnx - ts| = ${maxDiff.toExponential(2)}`);
await session.release();

// 2. Worst case: all rows, fixed trees, no early stopping.
const loadBefore = load();
const { value: full, wallMs: fullMs, cpuMs: fullCpuMs } = timed(() =>
  trainGbdt(data.dataset, { params: { maxTrees: fixedTrees, maxDepth: depth, maxLeaves: 2 ** depth, earlyStoppingRounds: 0 } }),
);
console.log(
  `\nworst case: ${data.dataset.nRows.toLocaleString('en-US')} rows, ${full.treesGrown} trees of depth <= ${depth} (<= ${2 ** depth} leaves), no early stopping: ` +
    `${seconds(fullMs)} wall, ${seconds(fullCpuMs)} CPU [target < 60 s] (${loadBefore} before, ${load()} after)`,
);
console.log(`peak RSS ${peakRssMb()} MB [target < 2048 MB]`);
