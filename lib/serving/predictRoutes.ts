/** `POST /api/predict/device-failure` and `.../batch`: validate, score with the cached production model. */
import type { AppContext } from '../app/context.js';
import { HttpError, json, type ApiRequest, type ApiResponse } from '../app/http.js';
import { checkBody, invalidBody, readJson } from './body.js';
import {
  BATCH_BODY_LIMIT_BYTES,
  MAX_BATCH_DEVICES,
  SINGLE_BODY_LIMIT_BYTES,
  batchEnvelope,
  deviceFeaturesRequest,
  type DeviceFeaturesRequest,
} from './contract.js';
import { ModelUnavailable, NoProductionModel, type ServingModel } from './modelCache.js';
import { predict } from './predict.js';
import { validate, type Infer, type Issue } from './schema.js';
import type { batchResponse } from './contract.js';

const SINGLE_EXPECTED = 'a JSON object with device_id and the ten device features (see GET /api/openapi.json)';
const BATCH_EXPECTED = `a JSON object {"devices": [...]} with 1 to ${MAX_BATCH_DEVICES} device objects`;

/** Runs `work` with the production model; no model promoted yet, or none loadable, is a 503 that says what to do. */
export async function withProductionModel<T>(ctx: AppContext, work: (model: ServingModel) => Promise<T>): Promise<T> {
  try {
    return await ctx.models().use(work);
  } catch (error) {
    if (error instanceof NoProductionModel || error instanceof ModelUnavailable) throw new HttpError(503, error.message);
    throw error;
  }
}

export async function predictDeviceFailure(request: ApiRequest, ctx: AppContext): Promise<ApiResponse> {
  const body = await readJson(request, { limitBytes: SINGLE_BODY_LIMIT_BYTES, expected: SINGLE_EXPECTED, tooLargeHint: 'A single prediction body is a few hundred bytes.' });
  const features = checkBody(deviceFeaturesRequest, body);
  const [prediction] = await withProductionModel(ctx, (model) => predict(model, [features]));
  return json(200, prediction);
}

export async function predictDeviceFailureBatch(request: ApiRequest, ctx: AppContext): Promise<ApiResponse> {
  const body = await readJson(request, {
    limitBytes: BATCH_BODY_LIMIT_BYTES,
    expected: BATCH_EXPECTED,
    tooLargeHint: `Send at most ${MAX_BATCH_DEVICES.toLocaleString('en-US')} devices per call.`,
  });
  if (typeof body === 'object' && body !== null && Array.isArray((body as { devices?: unknown }).devices)) {
    const count = (body as { devices: unknown[] }).devices.length;
    if (count > MAX_BATCH_DEVICES) {
      throw new HttpError(413, `devices has ${count.toLocaleString('en-US')} items; a batch takes at most ${MAX_BATCH_DEVICES.toLocaleString('en-US')}: split it into several calls.`);
    }
  }
  const { devices } = checkBody(batchEnvelope, body);
  const valid: DeviceFeaturesRequest[] = [];
  const validIndex: number[] = [];
  const errors: Infer<typeof batchResponse>['errors'] = [];
  devices.forEach((item, index) => {
    const result = validate(deviceFeaturesRequest, item);
    if (result.ok) {
      valid.push(result.value);
      validIndex.push(index);
      return;
    }
    const deviceId = typeof item === 'object' && item !== null && typeof (item as { device_id?: unknown }).device_id === 'string' ? (item as { device_id: string }).device_id : null;
    const details = result.issues.map((i): Issue => ({ field: `devices[${index}].${i.field}`, message: i.message }));
    errors.push({ index, device_id: deviceId, error: details.map((i) => `${i.field} ${i.message}`).join('; '), details });
  });
  if (valid.length === 0) {
    throw invalidBody(errors.flatMap((e) => e.details), `No device of the batch is valid (${errors.length} invalid)`);
  }
  const response = await withProductionModel(ctx, async (model) => {
    const predictions = await predict(model, valid);
    return {
      model_version: model.version,
      count: predictions.length,
      predictions: predictions.map((p, i) => ({ index: validIndex[i] as number, ...p })),
      errors,
    } satisfies Infer<typeof batchResponse>;
  });
  return json(200, response);
}
