/**
 * The online API end to end: real Azurite (registry, aliases, predictions partitions), real
 * onnxruntime sessions built from registered models, real HTTP on loopback through the local
 * host that `lims-mlops serve` runs.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, isHttpFunction } from '../lib/app/catalog.js';
import { createAppContext, type AppContext } from '../lib/app/context.js';
import { loadConfig } from '../lib/config/config.js';
import { FEATURES, FEATURE_NAMES } from '../lib/features/deviceFeatures.js';
import { startLocalHost, type LocalHost } from '../lib/local/host.js';
import { parseModel, predictProbability, sigmoid, treeShap, type GbdtModel } from '../lib/ml/model.js';
import { syntheticDeviceDays } from '../lib/ml/synthetic.js';
import type { EmbeddedAzurite } from '../lib/platform/azurite.js';
import { riskScore } from '../lib/registry/card.js';
import { promoteVersion } from '../lib/registry/promotion.js';
import { DEVICE_RISK } from '../lib/scoring/batch.js';
import type { Row } from '../lib/sources/schema.js';
import { registerSyntheticModel, type SyntheticModel } from '../lib/serving/syntheticModel.js';
import { startTestStorage } from './support/storage.js';

const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
const run = promisify(execFile);
/** The OpenAPI document is also checked by openapi-spec-validator where Python has it (not a project dependency). */
const hasSpecValidator = spawnSync('python3', ['-c', 'import openapi_spec_validator'], { stdio: 'ignore' }).status === 0;

let azurite: EmbeddedAzurite;
let ctx: AppContext;
let host: LocalHost;
let modelA: SyntheticModel;
let modelB: SyntheticModel;
const logs: string[] = [];

/** The seed's example body. */
const EXAMPLE = {
  device_id: 'DEV-00042',
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

type Json = Record<string, unknown>;

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${host.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function get(path: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${host.url}${path}`);
  return { status: response.status, body: (await response.json()) as Json };
}

beforeAll(async () => {
  const started = await startTestStorage();
  azurite = started.azurite;
  ctx = createAppContext(loadConfig({ ADMIN_API_KEY: ADMIN_KEY, MODEL_ALIAS_CHECK_SECONDS: '1' }), started.storage, undefined, (line) => logs.push(line));
  modelA = await registerSyntheticModel(ctx.registry(), { seed: 1 });
  modelB = await registerSyntheticModel(ctx.registry(), { seed: 2, params: { maxDepth: 3, learningRate: 0.15 } });
  host = await startLocalHost(ctx, { port: 0, pollIntervalMs: 0 });
});

afterAll(async () => {
  await host?.stop();
  await ctx?.close();
  await azurite?.stop();
});

describe('online serving', () => {
  it('answers 503 naming `lims-mlops train` while no model is promoted', async () => {
    const { status, body } = await post('/api/predict/device-failure', EXAMPLE);
    expect(status).toBe(503);
    expect(body.error).toContain('lims-mlops train');
  });

  it('protects the admin routes: bad or missing key 401, no ADMIN_API_KEY 503', async () => {
    const version = modelA.card.version;
    expect((await post(`/api/models/${version}/promote`, {})).status).toBe(401);
    const wrong = await post(`/api/models/${version}/promote`, {}, { 'x-admin-key': 'not-the-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toContain('x-admin-key');
    expect((await post('/api/models/rollback', {}, { 'x-admin-key': `${ADMIN_KEY}x` })).status).toBe(401);

    const disabled = createAppContext(loadConfig({}), ctx.storage);
    const other = await startLocalHost(disabled, { port: 0, pollIntervalMs: 0 });
    try {
      const response = await fetch(`${other.url}/api/models/${version}/promote`, { method: 'POST', headers: { 'x-admin-key': ADMIN_KEY } });
      expect(response.status).toBe(503);
      expect(((await response.json()) as Json).error).toMatch(/admin routes disabled/i);
    } finally {
      await other.stop();
      await disabled.close();
    }
    expect(await ctx.registry().alias('production')).toBeUndefined();
  });

  it('promotes with the admin key, recording actor and reason; unknown versions are 404', async () => {
    const missing = await post('/api/models/v-missing/promote', {}, { 'x-admin-key': ADMIN_KEY });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain('v-missing');
    const badName = await post('/api/models/..%2Fx/promote', {}, { 'x-admin-key': ADMIN_KEY });
    expect(badName.status).toBe(400);

    const version = modelA.card.version;
    const promoted = await post(`/api/models/${version}/promote`, { reason: 'first model for the test', actor: 'tester' }, { 'x-admin-key': ADMIN_KEY });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ alias: 'production', from: null, to: version, changed: true });
    expect((await ctx.registry().alias('production'))?.version).toBe(version);
    const [last] = await ctx.registry().auditTrail(1);
    expect(last).toMatchObject({ alias: 'production', to: version, actor: 'tester', reason: 'first model for the test' });
  });

  it("answers the seed's curl example with probability, score, level, factors and version", async () => {
    const { stdout } = await run('curl', [
      '-s',
      '-w',
      '\n%{http_code}',
      '-X',
      'POST',
      `${host.url}/api/predict/device-failure`,
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify(EXAMPLE),
    ]);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.pop()).toBe('200');
    const body = JSON.parse(lines.join('\n')) as Json;
    expect(body.device_id).toBe('DEV-00042');
    expect(body.model_version).toBe(modelA.card.version);
    const probability = body.probability as number;
    expect(probability).toBeGreaterThan(0);
    expect(probability).toBeLessThan(1);
    const { high, medium } = modelA.card.thresholds;
    expect(body.risk_level).toBe(probability > high ? 'HIGH' : probability > medium ? 'MEDIUM' : 'LOW');
    // The score anchored at the card's thresholds (rounded, never across a level boundary).
    expect(Math.abs((body.risk_score as number) - riskScore(probability, modelA.card.thresholds))).toBeLessThanOrEqual(1);
    expect((body.risk_score as number) > 80).toBe(body.risk_level === 'HIGH');
    const factors = body.top_factors as { feature: string; value: number; contribution: number }[];
    expect(factors).toHaveLength(3);
    for (const factor of factors) {
      expect(FEATURE_NAMES).toContain(factor.feature);
      expect(factor.value).toBe(EXAMPLE[factor.feature as keyof typeof EXAMPLE]);
    }
  });

  it('explains exactly: base value plus every contribution is the margin, and the factors are the largest three', async () => {
    const trees: GbdtModel = parseModel(modelA.treesJson);
    const rows = syntheticDeviceDays({ devices: 20, days: 5, seed: 9 }).dataset;
    for (let r = 0; r < 20; r++) {
      const body: Record<string, unknown> = { device_id: `DEV-${r}` };
      FEATURE_NAMES.forEach((name, f) => (body[name] = rows.x[r * FEATURE_NAMES.length + f]));
      const { status, body: answer } = await post('/api/predict/device-failure', body);
      expect(status).toBe(200);
      const explanation = answer.explanation as { base_value: number; margin: number; contributions: Record<string, number> };
      const contributions = FEATURE_NAMES.map((name) => explanation.contributions[name] as number);
      expect(explanation.base_value + contributions.reduce((a, b) => a + b, 0)).toBeCloseTo(explanation.margin, 9);
      // Independently: TreeSHAP and the TypeScript model on the same float32 row.
      const row = Float32Array.from(FEATURE_NAMES, (name) => body[name] as number);
      const shap = treeShap(trees, row);
      expect(explanation.margin).toBeCloseTo(shap.margin, 12);
      contributions.forEach((c, f) => expect(c).toBeCloseTo(shap.contributions[f] as number, 12));
      // The ONNX probability and the trees agree.
      expect(Math.abs((answer.probability as number) - predictProbability(trees, row))).toBeLessThan(1e-6);
      expect(Math.abs((answer.probability as number) - sigmoid(explanation.margin))).toBeLessThan(1e-6);
      const expected = FEATURE_NAMES.map((name, f) => ({ name, c: contributions[f] as number }))
        .sort((a, b) => Math.abs(b.c) - Math.abs(a.c))
        .slice(0, 3);
      expect((answer.top_factors as { feature: string; contribution: number }[]).map((f) => [f.feature, f.contribution])).toEqual(expected.map((e) => [e.name, e.c]));
    }
  });

  const malformed: [string, string, number, string[]][] = [
    ['missing field', JSON.stringify({ ...EXAMPLE, error_rate_7d: undefined }), 400, ['error_rate_7d', 'required']],
    ['unknown field', JSON.stringify({ ...EXAMPLE, error_rate: 0.1 }), 400, ['error_rate', 'not a known field']],
    ['wrong type (string number)', JSON.stringify({ ...EXAMPLE, qc_pass_rate_7d: '0.9' }), 400, ['qc_pass_rate_7d', 'number']],
    ['wrong type (boolean flag)', JSON.stringify({ ...EXAMPLE, calibration_overdue: true }), 400, ['calibration_overdue']],
    ['null value', JSON.stringify({ ...EXAMPLE, result_volume: null }), 400, ['result_volume', 'null']],
    ['NaN literal', JSON.stringify(EXAMPLE).replace('"error_rate_7d":0.18', '"error_rate_7d":NaN'), 400, ['not valid JSON']],
    ['NaN as a string', JSON.stringify({ ...EXAMPLE, error_rate_7d: 'NaN' }), 400, ['error_rate_7d']],
    ['Infinity (1e999)', JSON.stringify(EXAMPLE).replace('"avg_turnaround_time_7d":5.4', '"avg_turnaround_time_7d":1e999'), 400, ['avg_turnaround_time_7d', 'finite']],
    ['negative count', JSON.stringify({ ...EXAMPLE, result_volume: -5 }), 400, ['result_volume', '-5']],
    ['negative overdue days', JSON.stringify({ ...EXAMPLE, calibration_overdue_days: -1 }), 400, ['calibration_overdue_days']],
    ['rate above 1', JSON.stringify({ ...EXAMPLE, qc_pass_rate_7d: 1.5 }), 400, ['qc_pass_rate_7d', 'from 0 to 1']],
    ['rate below 0', JSON.stringify({ ...EXAMPLE, warning_rate_7d: -0.1 }), 400, ['warning_rate_7d']],
    ['flag not 0/1', JSON.stringify({ ...EXAMPLE, maintenance_overdue: 2 }), 400, ['maintenance_overdue', '0 or 1']],
    ['fractional count', JSON.stringify({ ...EXAMPLE, result_volume: 2.5 }), 400, ['result_volume', 'whole number']],
    ['device_id not a string', JSON.stringify({ ...EXAMPLE, device_id: 42 }), 400, ['device_id']],
    ['device_id empty', JSON.stringify({ ...EXAMPLE, device_id: '' }), 400, ['device_id']],
    ['several bad fields', JSON.stringify({ ...EXAMPLE, error_rate_7d: 2, result_volume: -1, extra: 1 }), 400, ['error_rate_7d', 'result_volume', 'extra']],
    ['empty body', '', 400, ['empty']],
    ['whitespace body', '  \n', 400, ['empty']],
    ['invalid JSON', '{"device_id": "DEV-1", ', 400, ['not valid JSON']],
    ['JSON array', '[1, 2]', 400, ['JSON object']],
    ['JSON null', 'null', 400, ['JSON object']],
    ['JSON string', '"hello"', 400, ['JSON object']],
    ['10 MB body', `{"device_id": "${'x'.repeat(10 * 1024 * 1024)}"}`, 413, ['65,536 bytes']],
  ];

  it.each(malformed)('rejects a malformed body (%s) with a 4xx naming the problem', async (_name, body, status, words) => {
    const response = await post('/api/predict/device-failure', body);
    expect(response.status).toBe(status);
    for (const word of words) expect(response.body.error).toContain(word);
  });

  it('refuses a 10 MB body sent without Content-Length (chunked) with 413', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(1024 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(`${host.url}/api/predict/device-failure`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as Json).error).toContain('65,536 bytes');
  });

  it('lists each bad field separately in details', async () => {
    const { status, body } = await post('/api/predict/device-failure', { ...EXAMPLE, error_rate_7d: 2, result_volume: -1, extra: 1, device_id: undefined });
    expect(status).toBe(400);
    expect((body.details as { field: string }[]).map((d) => d.field).sort()).toEqual(['device_id', 'error_rate_7d', 'extra', 'result_volume']);
  });

  it('scores a batch of 1,000 in one call, reports bad items by index, and refuses more than 1,000', async () => {
    const data = syntheticDeviceDays({ devices: 100, days: 10, seed: 5 }).dataset;
    const devices: Record<string, unknown>[] = [];
    for (let r = 0; r < 1000; r++) {
      const item: Record<string, unknown> = { device_id: `DEV-${String(r).padStart(5, '0')}` };
      FEATURE_NAMES.forEach((name, f) => (item[name] = data.x[r * FEATURE_NAMES.length + f]));
      devices.push(item);
    }
    const good = await post('/api/predict/device-failure/batch', { devices });
    expect(good.status).toBe(200);
    expect(good.body.count).toBe(1000);
    const trees = parseModel(modelA.treesJson);
    const predictions = good.body.predictions as { index: number; device_id: string; probability: number; model_version: string }[];
    expect(predictions).toHaveLength(1000);
    predictions.forEach((p, i) => {
      expect(p.index).toBe(i);
      expect(p.device_id).toBe(devices[i]!.device_id);
      expect(p.model_version).toBe(modelA.card.version);
      const row = Float32Array.from(FEATURE_NAMES, (name) => devices[i]![name] as number);
      expect(Math.abs(p.probability - predictProbability(trees, row))).toBeLessThan(1e-6);
    });

    const mixed = devices.slice(0, 10).map((d) => ({ ...d }));
    mixed[3] = { ...mixed[3], error_rate_7d: 7 };
    mixed[7] = { ...mixed[7], result_volume: undefined, colour: 'red' };
    const partial = await post('/api/predict/device-failure/batch', { devices: mixed });
    expect(partial.status).toBe(200);
    expect((partial.body.predictions as { index: number }[]).map((p) => p.index)).toEqual([0, 1, 2, 4, 5, 6, 8, 9]);
    const errors = partial.body.errors as { index: number; device_id: string; error: string }[];
    expect(errors.map((e) => e.index)).toEqual([3, 7]);
    expect(errors[0]!.error).toContain('devices[3].error_rate_7d');
    expect(errors[1]!.error).toContain('devices[7].result_volume');
    expect(errors[1]!.error).toContain('devices[7].colour');

    const allBad = await post('/api/predict/device-failure/batch', { devices: [{ device_id: 'x' }] });
    expect(allBad.status).toBe(400);
    expect(allBad.body.error).toContain('devices[0].error_rate_7d');

    const tooMany = await post('/api/predict/device-failure/batch', { devices: [...devices, devices[0]] });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error).toContain('1,000');
    for (const [body, word] of [[{}, 'devices'], [{ devices: [] }, 'devices'], [{ devices: {} }, 'devices'], ['', 'empty'], ['{', 'JSON']] as const) {
      const response = await post('/api/predict/device-failure/batch', body);
      expect(response.status).toBe(400);
      expect(response.body.error).toContain(word);
    }
  });

  it('picks up a model promoted elsewhere while clients keep predicting: no restart, no failed request', async () => {
    const before = modelA.card.version;
    const after = modelB.card.version;
    let stop = false;
    const outcomes: { status: number; version: string | undefined }[] = [];
    const client = async (): Promise<void> => {
      while (!stop) {
        const response = await fetch(`${host.url}/api/predict/device-failure`, { method: 'POST', body: JSON.stringify(EXAMPLE) });
        const body = (await response.json()) as Json;
        outcomes.push({ status: response.status, version: body.model_version as string | undefined });
      }
    };
    const clients = Array.from({ length: 4 }, client);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // As `lims-mlops promote` from another process would: only the alias in Table storage moves.
    await promoteVersion(ctx.registry(), after, 'test', 'swap under load');
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !outcomes.slice(-20).every((o) => o.version === after)) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop = true;
    await Promise.all(clients);
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(50);
    const versions = outcomes.map((o) => o.version);
    expect(versions[0]).toBe(before);
    expect(versions.at(-1)).toBe(after);
    expect(versions.lastIndexOf(before)).toBeLessThan(versions.indexOf(after) + 8);
    expect(logs.some((line) => line.includes(`serving model ${after} instead of ${before}`))).toBe(true);
  });

  it('rolls back over HTTP to the version production replaced, and serves it at once', async () => {
    const rolled = await post('/api/models/rollback', { reason: 'B misbehaves' }, { 'x-admin-key': ADMIN_KEY });
    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({ from: modelB.card.version, to: modelA.card.version, actor: 'admin-api', reason: 'B misbehaves' });
    const { body } = await post('/api/predict/device-failure', EXAMPLE);
    expect(body.model_version).toBe(modelA.card.version);
    const [last] = await ctx.registry().auditTrail(1);
    expect(last).toMatchObject({ alias: 'production', from: modelB.card.version, to: modelA.card.version, actor: 'admin-api', reason: 'B misbehaves' });
  });

  it('lists versions with metrics, aliases, the serving model and the audit trail', async () => {
    const { status, body } = await get('/api/models');
    expect(status).toBe(200);
    expect(body.aliases).toMatchObject({ production: { version: modelA.card.version }, staging: null });
    expect(body.serving).toMatchObject({ version: modelA.card.version });
    const versions = body.versions as { version: string; aliases: string[]; metrics: Record<string, number> }[];
    expect(versions.map((v) => v.version).sort()).toEqual([modelA.card.version, modelB.card.version].sort());
    expect(versions.find((v) => v.version === modelA.card.version)?.aliases).toEqual(['production']);
    expect(versions[0]!.metrics.roc_auc).toBeGreaterThan(0.7);
    expect((body.audit as unknown[]).length).toBe(3);
  });

  it('serves a device\'s latest batch prediction and history from the predictions partitions', async () => {
    const none = await get('/api/devices/DEV-00001/risk');
    expect(none.status).toBe(404);
    expect(none.body.error).toContain('No batch predictions yet');

    const factors = JSON.stringify([{ feature: 'error_rate_7d', value: 0.3, contribution: 1.2 }]);
    const row = (device: string, probability: number, version: string): Row => ({
      device_id: device,
      probability,
      risk_score: Math.round(probability * 100),
      risk_level: probability > 0.8 ? 'HIGH' : probability > 0.5 ? 'MEDIUM' : 'LOW',
      model_version: version,
      top_factors: factors,
    });
    for (const [date, p] of [['2026-03-01', 0.2], ['2026-03-02', 0.55], ['2026-03-03', 0.9]] as const) {
      await ctx.lake.writePartition(DEVICE_RISK, { score_date: date, shard: '00' }, `test-${date}`, [row('DEV-00001', p, 'v1'), row('DEV-00002', 0.1, 'v1')]);
    }
    // A device in another shard than its hash says (e.g. after GOLD_SHARDS changed) is still found.
    await ctx.lake.writePartition(DEVICE_RISK, { score_date: '2026-03-03', shard: '03' }, 'test-other', [row('DEV-00009', 0.4, 'v2')]);

    const { status, body } = await get('/api/devices/DEV-00001/risk');
    expect(status).toBe(200);
    expect(body.latest).toMatchObject({ score_date: '2026-03-03', probability: 0.9, risk_score: 90, risk_level: 'HIGH', top_factors: JSON.parse(factors) });
    expect((body.history as { score_date: string }[]).map((h) => h.score_date)).toEqual(['2026-03-03', '2026-03-02', '2026-03-01']);
    const two = await get('/api/devices/DEV-00001/risk?days=2');
    expect((two.body.history as unknown[]).length).toBe(2);
    expect((await get('/api/devices/DEV-00009/risk')).body.latest).toMatchObject({ model_version: 'v2' });
    const unknown = await get('/api/devices/DEV-99999/risk');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toContain('DEV-99999');
    expect((await get('/api/devices/DEV-00001/risk?days=0')).status).toBe(400);
    expect((await get('/api/devices/DEV-00001/risk?days=abc')).status).toBe(400);
  });

  it('publishes an OpenAPI 3 document of every route, generated from the validation schemas', async () => {
    const response = await fetch(`${host.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    const doc = JSON.parse(await response.text()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: { 'application/json': { schema: Json } } } }>>;
    };
    expect(doc.openapi).toMatch(/^3\.0\./);
    for (const f of CATALOG.filter(isHttpFunction)) {
      const path = `/api/${f.trigger.route}`;
      expect(doc.paths[path], path).toBeDefined();
      for (const method of f.trigger.methods) expect(doc.paths[path]![method.toLowerCase()], `${method} ${path}`).toBeDefined();
    }
    const schema = doc.paths['/api/predict/device-failure']!.post!.requestBody!.content['application/json'].schema as {
      properties: Record<string, { type: string; minimum: number; maximum: number }>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(Object.keys(schema.properties).sort()).toEqual(['device_id', ...FEATURE_NAMES].sort());
    expect([...schema.required].sort()).toEqual(['device_id', ...FEATURE_NAMES].sort());
    expect(schema.additionalProperties).toBe(false);
    for (const feature of FEATURES) {
      expect(schema.properties[feature.name]).toMatchObject({ type: feature.integer ? 'integer' : 'number', minimum: feature.min, maximum: feature.max });
    }
    const batch = doc.paths['/api/predict/device-failure/batch']!.post!.requestBody!.content['application/json'].schema as {
      properties: { devices: { maxItems: number; items: Json } };
    };
    expect(batch.properties.devices.maxItems).toBe(1000);
    expect(batch.properties.devices.items).toEqual(schema);
  });

  it.skipIf(!hasSpecValidator)('passes openapi-spec-validator (skipped where python3 lacks openapi_spec_validator)', async () => {
    const text = await (await fetch(`${host.url}/api/openapi.json`)).text();
    const checked = spawnSync('python3', ['-c', 'import json, sys; from openapi_spec_validator import validate; validate(json.load(sys.stdin)); print("valid")'], { input: text, encoding: 'utf8' });
    expect(checked.stderr).toBe('');
    expect(checked.stdout.trim()).toBe('valid');
  });
});
