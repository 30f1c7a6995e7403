/**
 * Online serving figures (targets for this 2-core machine; the seed's figure in brackets):
 *  1. in-process predict: the whole handler (JSON parse, validation, ONNX run, TreeSHAP, answer)
 *     and the scoring core alone, p50/p95/p99 (target p95 < 1 ms);
 *  2. local HTTP: 50 concurrent keep-alive clients (in a worker thread, so that they do not share
 *     the server's event loop) for a bounded time: requests/s and latency (target p95 < 10 ms,
 *     >= 2,000 requests/s) [p95 75 ms];
 *  3. cold start from Blob to first prediction: a fresh model cache (alias read, model.onnx, trees
 *     and card downloads, session, first prediction), and a fresh Node process from start to its
 *     first prediction (target < 500 ms).
 * The model: synthetic device-days trained with the production recipe, registered in an
 * in-memory Azurite (Blob + Table) and promoted. Prints figures; asserts nothing.
 * Usage: node dist/bench/serve.js [--seconds 10] [--clients 50] [--devices 2000]
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createAppContext, type AppContext } from '../lib/app/context.js';
import type { ApiRequest } from '../lib/app/http.js';
import { loadConfig } from '../lib/config/config.js';
import { FEATURE_NAMES } from '../lib/features/deviceFeatures.js';
import { startLocalHost } from '../lib/local/host.js';
import { syntheticDeviceDays } from '../lib/ml/synthetic.js';
import { startAzurite } from '../lib/platform/azurite.js';
import { ensureStorageResources, storageFromConnectionString } from '../lib/platform/storage.js';
import { promoteVersion } from '../lib/registry/promotion.js';
import type { DeviceFeaturesRequest } from '../lib/serving/contract.js';
import { predict } from '../lib/serving/predict.js';
import { predictDeviceFailure } from '../lib/serving/predictRoutes.js';
import { registerSyntheticModel } from '../lib/serving/syntheticModel.js';

interface ClientJob {
  readonly url: string;
  readonly bodies: readonly string[];
  readonly clients: number;
  readonly seconds: number;
}
interface ClientResult {
  readonly latencies: Float64Array;
  readonly count: number;
  readonly failures: number;
  readonly elapsedMs: number;
}

function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

function summary(latencies: Float64Array): string {
  const sorted = Float64Array.from(latencies).sort();
  const ms = (v: number): string => `${v.toFixed(3)} ms`;
  return `p50 ${ms(percentile(sorted, 0.5))}, p95 ${ms(percentile(sorted, 0.95))}, p99 ${ms(percentile(sorted, 0.99))}, max ${ms(sorted[sorted.length - 1] ?? Number.NaN)}`;
}

/** The load generator (worker thread): `clients` keep-alive connections posting bodies in turn. */
async function runClients(job: ClientJob): Promise<ClientResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.clients });
  const target = new URL(`${job.url}/api/predict/device-failure`);
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + job.seconds * 1000;
  const once = (body: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const request = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  const client = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const body = job.bodies[next++ % job.bodies.length] as string;
      const t = performance.now();
      const status = await once(body).catch(() => 0);
      latencies.push(performance.now() - t);
      if (status !== 200) failures++;
    }
  };
  await Promise.all(Array.from({ length: job.clients }, client));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { latencies: Float64Array.from(latencies), count: latencies.length, failures, elapsedMs };
}

/** A fresh process: from its start to the first prediction of the promoted model. */
async function coldProcess(connectionString: string): Promise<void> {
  const importsMs = performance.now();
  const ctx = createAppContext(loadConfig({}), storageFromConnectionString(connectionString));
  const request = requests(1, 11)[0] as DeviceFeaturesRequest;
  const [prediction] = await ctx.models().use((model) => predict(model, [request]));
  const total = performance.now();
  console.log(JSON.stringify({ sinceProcessStartMs: total, importsMs, modelLoadMs: ctx.models().status()?.loadMs, version: prediction?.model_version }));
  await ctx.close();
}

function requests(n: number, seed: number): DeviceFeaturesRequest[] {
  const data = syntheticDeviceDays({ devices: Math.min(n, 1000), days: Math.ceil(n / Math.min(n, 1000)), seed }).dataset;
  return Array.from({ length: n }, (_, r) => {
    const body: Record<string, unknown> = { device_id: `DEV-${String(r).padStart(5, '0')}` };
    FEATURE_NAMES.forEach((name, f) => (body[name] = data.x[r * FEATURE_NAMES.length + f]));
    return body as unknown as DeviceFeaturesRequest;
  });
}

function apiRequest(body: string): ApiRequest {
  return { method: 'POST', url: new URL('http://localhost/api/predict/device-failure'), params: {}, header: () => null, text: async () => body };
}

async function inProcess(ctx: AppContext, bodies: readonly string[], parsed: readonly DeviceFeaturesRequest[]): Promise<void> {
  const iterations = 20_000;
  for (let i = 0; i < 2_000; i++) await predictDeviceFailure(apiRequest(bodies[i % bodies.length] as string), ctx);
  const handler = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    const response = await predictDeviceFailure(apiRequest(bodies[i % bodies.length] as string), ctx);
    JSON.stringify(response.jsonBody);
    handler[i] = performance.now() - t;
  }
  console.log(`in-process, whole handler (parse, validate, ONNX, TreeSHAP, serialize), ${iterations.toLocaleString('en-US')} calls: ${summary(handler)} (target p95 < 1 ms)`);
  const core = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const request = parsed[i % parsed.length] as DeviceFeaturesRequest;
    const t = performance.now();
    await ctx.models().use((model) => predict(model, [request]));
    core[i] = performance.now() - t;
  }
  console.log(`in-process, scoring core (ONNX run + TreeSHAP):                      ${summary(core)}`);
  const batch = parsed.slice(0, 1000);
  const times = new Float64Array(20);
  for (let i = 0; i < times.length; i++) {
    const t = performance.now();
    await ctx.models().use((model) => predict(model, batch));
    times[i] = performance.now() - t;
  }
  console.log(`in-process, batch of 1,000 (one ONNX run + 1,000 TreeSHAP): ${summary(times)}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string' }, clients: { type: 'string' }, devices: { type: 'string' }, cold: { type: 'string' } }, strict: false });
  if (typeof values.cold === 'string') return coldProcess(values.cold);
  const seconds = Number(values.seconds ?? 10);
  const clients = Number(values.clients ?? 50);
  const devices = Number(values.devices ?? 2000);

  const load = (): string => `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`;
  console.log(`machine: ${load()} at start (figures are inflated while other work shares the CPUs)`);
  const azurite = await startAzurite();
  try {
    const storage = storageFromConnectionString(azurite.connectionString);
    await ensureStorageResources(storage);
    const ctx = createAppContext(loadConfig({}), storage);
    let t = performance.now();
    const trained = await registerSyntheticModel(ctx.registry(), { devices, days: 70, seed: 7 });
    await promoteVersion(ctx.registry(), trained.card.version, 'bench', 'benchmark model');
    console.log(
      `model: ${trained.model.trees.length} trees, ROC-AUC ${Number(trained.card.metrics.roc_auc).toFixed(3)} on ${devices.toLocaleString('en-US')} devices x 70 synthetic days; ` +
        `trained and registered in ${((performance.now() - t) / 1000).toFixed(1)} s; model.onnx ${trained.onnx.length.toLocaleString('en-US')} bytes`,
    );

    // 3a. Cold start in this process: a fresh cache loads from Blob (median of 5).
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const fresh = createAppContext(loadConfig({}), storage);
      t = performance.now();
      await fresh.models().use((model) => predict(model, requests(1, 3)));
      loads.push(performance.now() - t);
      await fresh.close();
    }
    loads.sort((a, b) => a - b);
    console.log(`cold start, fresh model cache -> first prediction (alias read, 3 blob downloads, ONNX session, warm-up, predict): median ${loads[2]!.toFixed(0)} ms, max ${loads[4]!.toFixed(0)} ms (target < 500 ms)`);

    // 3b. Cold start of a whole process.
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--cold', azurite.connectionString], { encoding: 'utf8' });
    const line = child.stdout.trim().split('\n').pop() ?? '';
    try {
      const cold = JSON.parse(line) as { sinceProcessStartMs: number; importsMs: number; modelLoadMs: number };
      console.log(
        `cold start, new Node process -> first prediction: ${cold.sinceProcessStartMs.toFixed(0)} ms = Node start and module imports ${cold.importsMs.toFixed(0)} ms ` +
          `+ model from Blob ${cold.modelLoadMs.toFixed(0)} ms + first prediction`,
      );
    } catch {
      console.log(`cold start, new process: failed (${child.stderr.trim().split('\n').pop() ?? child.status})`);
    }

    // 1. In process.
    const parsed = requests(5000, 11);
    const bodies = parsed.map((r) => JSON.stringify(r));
    await inProcess(ctx, bodies, parsed);

    // 2. Local HTTP, clients in a worker thread.
    const host = await startLocalHost(ctx, { port: 0, pollIntervalMs: 0 });
    try {
      const job: ClientJob = { url: host.url, bodies, clients, seconds };
      const eluBefore = performance.eventLoopUtilization();
      const worker = new Worker(fileURLToPath(import.meta.url), { workerData: job });
      const result = await new Promise<ClientResult>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      const elu = performance.eventLoopUtilization(eluBefore);
      await worker.terminate();
      const rps = result.count / (result.elapsedMs / 1000);
      const busyPerRequest = (elu.active / result.count) * 1000;
      console.log(
        `local HTTP, ${clients} concurrent keep-alive clients for ${seconds} s: ${result.count.toLocaleString('en-US')} requests, ${Math.round(rps).toLocaleString('en-US')} req/s (target >= 2,000), ` +
          `${result.failures} failed; latency ${summary(result.latencies)} (target p95 < 10 ms) [seed: p95 75 ms]`,
      );
      console.log(
        `  server event loop ${(elu.utilization * 100).toFixed(0)}% busy, ${busyPerRequest.toFixed(0)} us per request (a single-threaded ceiling of ${Math.round(1e6 / busyPerRequest).toLocaleString('en-US')} req/s on this machine's load)`,
      );
    } finally {
      await host.stop();
    }
    await ctx.close();
    console.log(`machine: ${load()} at the end`);
  } finally {
    await azurite.stop();
  }
}

if (isMainThread) {
  await main();
} else {
  parentPort?.postMessage(await runClients(workerData as ClientJob));
}
