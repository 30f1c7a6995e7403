/**
 * Online serving figures (targets for this 2-core machine; the seed's figure in brackets):
 *  1. in-process predict: the whole handler (JSON parse, validation, ONNX run, TreeSHAP, answer)
 *     and the scoring core alone, p50/p95/p99 (target p95 < 1 ms);
 *  2. local HTTP, 50 keep-alive clients in a worker thread (so that they do not share the server's
 *     event loop; they do share the 2 cores), two ways (target p95 < 10 ms at >= 2,000 requests/s)
 *     [p95 75 ms]:
 *     a. saturation: a closed loop (each client sends again as soon as it is answered): the
 *        throughput ceiling, and the latency of a queue the clients keep full (by Little's law
 *        50 clients at R req/s wait 50/R s on average);
 *     b. the target's load: an open loop offering 2,000 requests/s in total, paced per client,
 *        latency measured from each request's scheduled send time (p50/p95/p99);
 *  3. cold start from Blob to first prediction: a fresh model cache (alias read, model.onnx, trees
 *     and card downloads, session, first prediction), and a fresh Node process from start to its
 *     first prediction (target < 500 ms).
 * The model: synthetic device-days trained with the production recipe, registered in an
 * in-memory Azurite (Blob + Table) and promoted. Prints figures; asserts nothing.
 * Usage: node dist/bench/serve.js [--seconds 10] [--clients 50] [--offered 2000] [--devices 2000]
 */
import { spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { cpus, loadavg } from 'node:os';
import type { EventLoopUtilization } from 'node:perf_hooks';
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
  /** Measured seconds, after `warmupSeconds` whose requests are sent but not recorded. */
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Open loop: requests per second offered by all clients together; absent: closed loop. */
  readonly offeredPerSecond?: number;
}
interface ClientResult {
  /** Closed loop: from send to answer. Open loop: from the scheduled send time to the answer. */
  readonly latencies: Float64Array;
  /** Open loop: how late each request left its client after its scheduled time. */
  readonly sendDelays: Float64Array;
  /** Requests recorded (after the warm-up). */
  readonly count: number;
  /** Requests sent, warm-up included (the server's event-loop use covers them all). */
  readonly sent: number;
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

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * One keep-alive connection with one request in flight, over a raw socket: the request bytes are
 * prepared once and the answer is parsed only as far as its status and Content-Length. Node's
 * http client costs about as much CPU per request as the server, and the generator shares the
 * machine's 2 cores with the server, so a heavy client would lower the server's figures.
 */
class RawConnection {
  private readonly socket: Socket;
  private received: Buffer[] = [];
  private pending: { resolve: (status: number) => void; reject: (error: Error) => void } | undefined;

  constructor(target: URL) {
    this.socket = connect({ host: target.hostname, port: Number(target.port) });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error) => this.pending?.reject(error));
  }

  static request(target: URL, body: string): Buffer {
    const head = `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    return Buffer.from(head + body);
  }

  send(request: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.received.push(chunk);
    const data = this.received.length === 1 ? chunk : Buffer.concat(this.received);
    const headerEnd = data.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = data.subarray(0, headerEnd).toString('latin1');
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) {
      this.pending?.reject(new Error('answer without Content-Length'));
      return;
    }
    if (data.length < headerEnd + HEADER_END.length + Number(length[1])) {
      this.received = [data];
      return;
    }
    this.received = [];
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(Number(head.slice(9, 12)));
  }
}

/** Load-test seconds before recording starts (new connections, a new generator thread). */
const WARMUP_SECONDS = 2;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The load generator (worker thread): `clients` clients, each with its own keep-alive connection
 * and one request in flight at a time.
 *  - closed loop: each client sends its next request as soon as the previous one is answered
 *    (measures saturation throughput; latency is then set by the queue the clients keep full);
 *  - open loop: each client has a fixed schedule (offered rate / clients, staggered across
 *    clients); a request whose time comes while the previous one is still out leaves when that
 *    one is answered, and its latency counts from its scheduled time, so queueing is not hidden
 *    (no coordinated omission).
 */
async function runClients(job: ClientJob): Promise<ClientResult> {
  const target = new URL(`${job.url}/api/predict/device-failure`);
  const requests = job.bodies.map((body) => RawConnection.request(target, body));
  const latencies: number[] = [];
  const sendDelays: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  // Connections, the generator's and the server's code paths warm up first (not recorded).
  const recordFrom = started + job.warmupSeconds * 1000;
  const deadline = recordFrom + job.seconds * 1000;
  const periodMs = job.offeredPerSecond ? (1000 * job.clients) / job.offeredPerSecond : 0;
  const client = async (index: number): Promise<void> => {
    const connection = new RawConnection(target);
    for (let k = 0; ; k++) {
      const scheduled = periodMs > 0 ? started + (index / job.clients + k) * periodMs : performance.now();
      if (scheduled >= deadline) break;
      if (periodMs > 0) {
        // Timers round to milliseconds and may fire a little early: sleep again until due.
        for (let wait = scheduled - performance.now(); wait > 0; wait = scheduled - performance.now()) await sleep(Math.ceil(wait));
        if (scheduled >= recordFrom) sendDelays.push(performance.now() - scheduled);
      }
      const status = await connection.send(requests[next++ % requests.length] as Buffer).catch(() => 0);
      if (scheduled < recordFrom) continue;
      latencies.push(performance.now() - scheduled);
      if (status !== 200) failures++;
    }
    connection.close();
  };
  await Promise.all(Array.from({ length: job.clients }, (_, index) => client(index)));
  const elapsedMs = performance.now() - recordFrom;
  return { latencies: Float64Array.from(latencies), sendDelays: Float64Array.from(sendDelays), count: latencies.length, sent: next, failures, elapsedMs };
}

/** Runs the load generator in a worker thread against the server; with the server's event-loop use meanwhile. */
async function loadTest(job: ClientJob): Promise<{ result: ClientResult; elu: EventLoopUtilization }> {
  const eluBefore = performance.eventLoopUtilization();
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: job });
  const result = await new Promise<ClientResult>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const elu = performance.eventLoopUtilization(eluBefore);
  await worker.terminate();
  return { result, elu };
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
  const { values } = parseArgs({ options: { seconds: { type: 'string' }, clients: { type: 'string' }, offered: { type: 'string' }, devices: { type: 'string' }, cold: { type: 'string' } }, strict: false });
  if (typeof values.cold === 'string') return coldProcess(values.cold);
  const seconds = Number(values.seconds ?? 10);
  const clients = Number(values.clients ?? 50);
  const offered = Number(values.offered ?? 2000);
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
      const closed = await loadTest({ url: host.url, bodies, clients, seconds, warmupSeconds: WARMUP_SECONDS });
      const rps = closed.result.count / (closed.result.elapsedMs / 1000);
      const busyPerRequest = (closed.elu.active / closed.result.sent) * 1000;
      console.log(
        `local HTTP, saturation (closed loop: ${clients} keep-alive clients, each sending its next request when answered, ${seconds} s after ${WARMUP_SECONDS} s of warm-up): ` +
          `${closed.result.count.toLocaleString('en-US')} requests, ${Math.round(rps).toLocaleString('en-US')} req/s (target >= 2,000), ${closed.result.failures} failed; ` +
          `latency under saturation ${summary(closed.result.latencies)}`,
      );
      console.log(
        `  server event loop ${(closed.elu.utilization * 100).toFixed(0)}% busy, ${busyPerRequest.toFixed(0)} us per request (a single-threaded ceiling of ${Math.round(1e6 / busyPerRequest).toLocaleString('en-US')} req/s on this machine's load)`,
      );
      const open = await loadTest({ url: host.url, bodies, clients, seconds, warmupSeconds: WARMUP_SECONDS, offeredPerSecond: offered });
      const achieved = open.result.count / (open.result.elapsedMs / 1000);
      console.log(
        `local HTTP, at the target's load (open loop: ${clients} keep-alive clients together offering ${offered.toLocaleString('en-US')} req/s, paced, ${seconds} s after ${WARMUP_SECONDS} s of warm-up): ` +
          `${Math.round(achieved).toLocaleString('en-US')} req/s answered, ${open.result.failures} failed; latency from the scheduled send time ${summary(open.result.latencies)} ` +
          `(target p95 < 10 ms) [seed: p95 75 ms]`,
      );
      console.log(
        `  server event loop ${(open.elu.utilization * 100).toFixed(0)}% busy; the generator's own lateness in sending (timer slack, included above) ${summary(open.result.sendDelays)}`,
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
