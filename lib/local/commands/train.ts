import { writeFile } from 'node:fs/promises';
import { InputError, predictFile, trainFromFile } from '../../training/files.js';
import { trainAndRegister } from '../../training/job.js';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';
import { withPlatform } from '../session.js';
import type { ModelCard } from '../../registry/card.js';
import type { Row } from '../../sources/schema.js';

function metricsLine(card: ModelCard): string {
  const m = card.metrics;
  const f = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? '-' : v.toFixed(digits));
  return `holdout ROC-AUC ${f(m.roc_auc)}, PR-AUC ${f(m.pr_auc)}, Brier ${f(m.brier, 4)}, accuracy ${f(m.accuracy)}, precision ${f(m.precision)}, recall ${f(m.recall)}, F1 ${f(m.f1)} at HIGH (p > ${card.thresholds.high.toFixed(4)}, risk score > 80); median lead ${f(m.lead_time_median_days, 1)} days`;
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'Train the device-failure model on the lake and register it (or train on a file)',
  usage: `lims-mlops train
lims-mlops train --input FILE.csv|FILE.parquet --label COL [--features a,b,...] --out DIR

Without --input: reads gold/device_features, trains (time split, GBDT, Platt calibration),
registers the version with its model card, points "staging" at it and promotes it to
"production" when the gate allows (holdout ROC-AUC not worse than production's on the same
holdout by more than PROMOTION_AUC_TOLERANCE). The Container Apps training job runs this.
With --input: trains on the file (random 70/15/15 split) and writes model.onnx, model.json and
card.json to DIR without touching the registry.`,
  options: { input: { type: 'string' }, label: { type: 'string' }, features: { type: 'string' }, out: { type: 'string' } },
  prepare(values, _positionals, config) {
    const input = values.input as string | undefined;
    if (input !== undefined) {
      const label = values.label;
      const out = values.out;
      if (typeof label !== 'string') throw new UsageError('train: --input needs --label COL');
      if (typeof out !== 'string') throw new UsageError('train: --input needs --out DIR');
      const features = typeof values.features === 'string' ? values.features.split(',').map((f) => f.trim()).filter(Boolean) : undefined;
      return async () => {
        try {
          const result = await trainFromFile(input, label, features, out);
          console.log(`model ${result.card.version}: ${metricsLine(result.card)}`);
          console.log(`wrote ${result.files.join(', ')}`);
          return 0;
        } catch (error) {
          if (error instanceof InputError) throw new UsageError(`train: ${error.message}`);
          throw error;
        }
      };
    }
    if (values.label || values.out || values.features) throw new UsageError('train: --label, --features and --out go with --input');
    return () =>
      withPlatform(config, { out: console.log, err: console.error }, async ({ ctx }) => {
        const outcome = await trainAndRegister(ctx, console.error);
        console.log(`model ${outcome.card.version}: ${metricsLine(outcome.card)}`);
        console.log(`promotion: ${outcome.decision.reason}`);
        return 0;
      });
  },
};

function csvLine(values: readonly unknown[]): string {
  return values.map((v) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))).join(',');
}

export const predictCommand: Command = {
  name: 'predict',
  summary: 'Score a CSV or Parquet file with a model folder',
  usage: `lims-mlops predict --model DIR --input FILE.csv|FILE.parquet --out FILE.csv

Adds probability, risk_score (0-100) and risk_level to every input row.`,
  options: { model: { type: 'string' }, input: { type: 'string' }, out: { type: 'string' } },
  prepare(values) {
    const { model, input, out } = values;
    if (typeof model !== 'string' || typeof input !== 'string' || typeof out !== 'string') throw new UsageError('predict: --model, --input and --out are required');
    if (!out.endsWith('.csv')) throw new UsageError('predict: --out must name a .csv file');
    return async () => {
      let scored: { rows: Row[] };
      try {
        scored = await predictFile(model, input);
      } catch (error) {
        if (error instanceof InputError) throw new UsageError(`predict: ${error.message}`);
        throw error;
      }
      const columns = Object.keys(scored.rows[0] ?? {});
      await writeFile(out, [columns.join(','), ...scored.rows.map((row) => csvLine(columns.map((c) => row[c])))].join('\n') + '\n');
      console.log(`scored ${scored.rows.length.toLocaleString('en-US')} rows to ${out}`);
      return 0;
    };
  },
};
