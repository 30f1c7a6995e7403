/**
 * The online API's request and response schemas, built from the ONE feature definition
 * (lib/features/deviceFeatures.ts). Handlers validate with these objects and the OpenAPI
 * document is generated from them.
 */
import { FEATURES, FEATURE_NAMES, type FeatureName } from '../features/deviceFeatures.js';
import { anyValue, array, boolean, nullable, number, object, oneOf, optional, record, string, type Infer, type Schema } from './schema.js';

/** Largest batch `POST /api/predict/device-failure/batch` accepts. */
export const MAX_BATCH_DEVICES = 1_000;
/** Body limits: generous for the largest valid request, far below the host's 16 MB. */
export const SINGLE_BODY_LIMIT_BYTES = 64 * 1024;
export const BATCH_BODY_LIMIT_BYTES = 2 * 1024 * 1024;
/** Score dates of batch predictions `GET /api/devices/{id}/risk` returns by default and at most. */
export const DEFAULT_HISTORY_DAYS = 14;
export const MAX_HISTORY_DAYS = 90;
/** Contributing factors returned per prediction. */
export const TOP_FACTORS = 3;

export const deviceId = string({
  minLength: 1,
  maxLength: 128,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  patternMeaning: 'no control characters',
  description: 'The device (instrument) identifier as the LIMS knows it.',
  example: 'DEV-00042',
});

const EXAMPLE: Readonly<Record<FeatureName, number>> = {
  calibration_overdue: 1,
  maintenance_overdue: 0,
  calibration_overdue_days: 12,
  maintenance_overdue_days: 0,
  error_rate_7d: 0.18,
  warning_rate_7d: 0.22,
  qc_pass_rate_7d: 0.71,
  result_volume_trend: -0.25,
  avg_turnaround_time_7d: 5.4,
  result_volume: 28,
};

const featureProperties = Object.fromEntries(
  FEATURES.map((f) => [f.name, number({ minimum: f.min, maximum: f.max, integer: f.integer, description: f.description, example: EXAMPLE[f.name] })]),
) as Record<FeatureName, Schema<number>>;

/** The seed's body: device_id and the ten features, every one required, nothing else. */
export const deviceFeaturesRequest = object(
  { device_id: deviceId, ...featureProperties },
  { description: 'One device-day of features (the gold device_features definition).', example: { device_id: 'DEV-00042', ...EXAMPLE } },
);
export type DeviceFeaturesRequest = Infer<typeof deviceFeaturesRequest>;

/** Top-level shape of a batch; each item is checked on its own so that errors are per index. */
export const batchRequest = object(
  {
    devices: array(deviceFeaturesRequest, {
      minItems: 1,
      maxItems: MAX_BATCH_DEVICES,
      description: `Up to ${MAX_BATCH_DEVICES} devices, each with the body of POST /api/predict/device-failure.`,
    }),
  },
  { description: 'Devices to score in one call (one ONNX run).' },
);

/** The envelope checked before any item: items are validated one by one afterwards. */
export const batchEnvelope = object({ devices: array(anyValue(), { minItems: 1, maxItems: MAX_BATCH_DEVICES }) });

export const riskLevel = oneOf(['LOW', 'MEDIUM', 'HIGH'] as const, {
  description: 'HIGH when the probability is above the model card\'s HIGH threshold (risk score above 80), MEDIUM above its MEDIUM threshold (risk score above 50), else LOW. Both thresholds are chosen on the validation split when the model is trained (GET /api/models).',
});
export type RiskLevel = Infer<typeof riskLevel>;

export const factor = object({
  feature: oneOf(FEATURE_NAMES, { description: 'Feature name.' }),
  value: number({ description: 'The feature value of this request.' }),
  contribution: number({ description: 'Signed TreeSHAP contribution on the log-odds (margin) scale: positive raises the failure risk.' }),
});
export type Factor = Infer<typeof factor>;

const anyNumber = (description: string): Schema<number> => number({ description });

export const prediction = object({
  device_id: deviceId,
  probability: number({ minimum: 0, maximum: 1, description: 'Calibrated probability that the device fails within 7 days (from the ONNX model).' }),
  risk_score: number({
    minimum: 0,
    maximum: 100,
    integer: true,
    description:
      'The probability on a 0-100 scale anchored at the model\'s operating thresholds: piecewise linear through (0, 0), (MEDIUM threshold, 50), (HIGH threshold, 80) and (1, 100), rounded; above 80 is HIGH, above 50 MEDIUM. Rare failures keep calibrated probabilities low, so the score is not probability x 100.',
  }),
  risk_level: riskLevel,
  top_factors: array(factor, { maxItems: TOP_FACTORS, description: `The ${TOP_FACTORS} features with the largest |contribution|, largest first.` }),
  explanation: object(
    {
      base_value: anyNumber('Expected margin over the training data (TreeSHAP expected value).'),
      margin: anyNumber('This row\'s calibrated log-odds: base_value + the sum of all contributions.'),
      contributions: record(anyNumber('contribution'), { description: 'Contribution of every feature, log-odds scale.' }),
    },
    { description: 'The full TreeSHAP decomposition, computed exactly from the trees.' },
  ),
  model_version: string({ description: 'Registry version of the model that answered.' }),
});
export type Prediction = Infer<typeof prediction>;

export const itemError = object({
  index: number({ minimum: 0, maximum: MAX_BATCH_DEVICES - 1, integer: true, description: 'Position of the device in the request.' }),
  device_id: nullable(string({ description: 'The item\'s device_id when it had a usable one.' })),
  error: string({ description: 'Every bad field of the item.' }),
  details: array(object({ field: string(), message: string() })),
});

export const batchResponse = object({
  model_version: string(),
  count: number({ minimum: 0, maximum: MAX_BATCH_DEVICES, integer: true, description: 'Devices scored.' }),
  predictions: array(object({ index: number({ minimum: 0, maximum: MAX_BATCH_DEVICES - 1, integer: true }), ...prediction.properties }), {
    description: 'One per valid device, in request order, with its index.',
  }),
  errors: array(itemError, { description: 'One per invalid device, by index; valid devices are still scored.' }),
});

export const errorBody = object({
  error: string({ description: 'What is wrong and what to do, naming each bad field.' }),
  details: optional(array(object({ field: string(), message: string() }))),
});

export const scoredDay = object({
  score_date: string({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'Feature day the batch scored (YYYY-MM-DD).' }),
  probability: number({ minimum: 0, maximum: 1 }),
  risk_score: number({ minimum: 0, maximum: 100, integer: true }),
  risk_level: riskLevel,
  model_version: string(),
});

export const deviceRisk = object({
  device_id: deviceId,
  latest: object({ ...scoredDay.properties, top_factors: array(factor) }),
  history: array(scoredDay, { description: 'Newest first, one entry per score date the device was scored on.' }),
});

const metricsRecord = record(nullable(anyNumber('metric')), { description: 'Holdout metrics from the model card.' });

export const modelsResponse = object({
  aliases: record(nullable(object({ version: string(), updatedAt: string() })), { description: 'production and staging.' }),
  serving: nullable(object({ version: string(), loadedAt: string(), loadMs: anyNumber('Load time of the ONNX session and trees.') })),
  versions: array(
    object({
      version: string(),
      created: string(),
      codeVersion: string(),
      aliases: array(string()),
      trainingWindow: object({ from: string(), to: string() }),
      rowCounts: record(anyNumber('rows')),
      metrics: metricsRecord,
      thresholds: object(
        {
          high: anyNumber('Probability above which a device is HIGH (risk score above 80).'),
          medium: anyNumber('Probability above which a device is MEDIUM (risk score above 50).'),
          rule: optional(object({ high: string(), medium: string() }, { description: 'How each threshold was chosen on the validation split.' })),
        },
        { description: 'Operating thresholds of the risk levels.' },
      ),
    }),
  ),
  audit: array(object({ at: string(), alias: string(), from: nullable(string()), to: string(), actor: string(), reason: string() }), { description: 'Alias changes, newest first.' }),
});

export const aliasChangeRequest = object(
  {
    reason: optional(string({ minLength: 1, maxLength: 500, description: 'Why (recorded in the audit trail).' })),
    actor: optional(string({ minLength: 1, maxLength: 100, description: 'Who (recorded in the audit trail); default "admin-api".' })),
  },
  { description: 'Optional: the body may be empty.' },
);

export const aliasChangeResponse = object({
  alias: string(),
  from: nullable(string()),
  to: string(),
  changed: boolean({ description: 'false when the alias already pointed there.' }),
  actor: string(),
  reason: string(),
});
