/**
 * The model cache with real onnxruntime sessions built from real exported models; the registry
 * is an in-memory stand-in here so that the clock and the alias can be moved step by step
 * (test/serving.test.ts covers the same behaviour over Azurite and HTTP).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { ONNX_INPUT_NAME } from '../lib/ml/onnx.js';
import type { ModelCard } from '../lib/registry/card.js';
import type { AliasRecord } from '../lib/registry/registry.js';
import { ModelCache, ModelUnavailable, NoProductionModel, type ModelSource, type ServingModel } from '../lib/serving/modelCache.js';
import { trainSyntheticModel, type SyntheticModel } from '../lib/serving/syntheticModel.js';

class MemorySource implements ModelSource {
  readonly versions = new Map<string, { card: ModelCard; onnx: Uint8Array; treesJson: string }>();
  production: string | undefined;
  aliasReads = 0;

  add(model: SyntheticModel, onnx = model.onnx): void {
    this.versions.set(model.card.version, { card: model.card, onnx, treesJson: model.treesJson });
  }
  async alias(): Promise<AliasRecord | undefined> {
    this.aliasReads++;
    return this.production ? { alias: 'production', version: this.production, updatedAt: '', etag: '' } : undefined;
  }
  private get(version: string): { card: ModelCard; onnx: Uint8Array; treesJson: string } {
    const entry = this.versions.get(version);
    if (!entry) throw new Error(`No model version ${version} in the registry`);
    return entry;
  }
  async card(version: string): Promise<ModelCard> {
    return this.get(version).card;
  }
  async onnx(version: string): Promise<Uint8Array> {
    return this.get(version).onnx;
  }
  async treesJson(version: string): Promise<string> {
    return this.get(version).treesJson;
  }
}

async function runOnce(model: ServingModel): Promise<void> {
  const width = model.inputs.length;
  await model.session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', new Float32Array(width), [1, width]) });
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let a: SyntheticModel;
let b: SyntheticModel;

beforeAll(() => {
  a = trainSyntheticModel({ devices: 150, seed: 3 });
  b = trainSyntheticModel({ devices: 150, seed: 4 });
});

describe('model cache', () => {
  it('loads nothing until the first request, and says what to do when no model is promoted', async () => {
    const source = new MemorySource();
    source.add(a);
    const cache = new ModelCache(source, { checkIntervalMs: 10_000 });
    expect(source.aliasReads).toBe(0);
    expect(cache.status()).toBeNull();
    await expect(cache.use(async (m) => m.version)).rejects.toBeInstanceOf(NoProductionModel);
    await expect(cache.use(async (m) => m.version)).rejects.toThrow('lims-mlops train');
    source.production = a.card.version;
    // No negative caching: the first request after the first promotion is served.
    expect(await cache.use(async (m) => m.version)).toBe(a.card.version);
    await cache.close();
  });

  it('loads once under concurrent first requests and reads the alias at most once per interval', async () => {
    const source = new MemorySource();
    source.add(a);
    source.production = a.card.version;
    let now = 1_000_000;
    const cache = new ModelCache(source, { checkIntervalMs: 10_000, now: () => now });
    const versions = await Promise.all(Array.from({ length: 20 }, () => cache.use(async (m) => m.version)));
    expect(new Set(versions)).toEqual(new Set([a.card.version]));
    expect(source.aliasReads).toBe(1);
    for (let i = 0; i < 100; i++) await cache.use(async () => undefined);
    expect(source.aliasReads).toBe(1);
    now += 10_000;
    for (let i = 0; i < 100; i++) await cache.use(async () => undefined);
    await until(() => source.aliasReads === 2);
    now += 9_999;
    for (let i = 0; i < 10; i++) await cache.use(async () => undefined);
    expect(source.aliasReads).toBe(2);
    await cache.close();
  });

  it('swaps in the background: requests keep the old model until the new one is ready, and a model in use is never released', async () => {
    const source = new MemorySource();
    source.add(a);
    source.add(b);
    source.production = a.card.version;
    let now = 0;
    const log: string[] = [];
    const cache = new ModelCache(source, { checkIntervalMs: 1_000, now: () => now, log: (line) => log.push(line) });
    await cache.use(async () => undefined);

    // A long request holds model A across the swap.
    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    let heldModel!: ServingModel;
    const longRequest = cache.use(async (model) => {
      heldModel = model;
      await held;
      await runOnce(model);
      return model.version;
    });

    source.production = b.card.version;
    now += 1_000;
    // This request triggers the check but is answered by A at once: it does not wait for B.
    expect(await cache.use(async (m) => m.version)).toBe(a.card.version);
    await until(() => cache.status()?.version === b.card.version);
    expect(await cache.use(async (m) => m.version)).toBe(b.card.version);

    // A is retired but still usable by the request that holds it; released after it ends.
    await runOnce(heldModel);
    finish();
    expect(await longRequest).toBe(a.card.version);
    await until(() => log.some((l) => l.includes(`serving model ${b.card.version} instead of ${a.card.version}`)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(runOnce(heldModel)).rejects.toThrow(/disposed|released/i);
    await cache.close();
  });

  it('keeps serving the current model when the new version cannot be loaded, and logs why', async () => {
    const source = new MemorySource();
    source.add(a);
    const broken = { ...b, card: { ...b.card, version: 'v-broken' } };
    source.add(broken, new Uint8Array([1, 2, 3, 4]));
    source.production = a.card.version;
    let now = 0;
    const log: string[] = [];
    const cache = new ModelCache(source, { checkIntervalMs: 1_000, now: () => now, log: (line) => log.push(line) });
    await cache.use(async () => undefined);
    source.production = 'v-broken';
    now += 1_000;
    expect(await cache.use(async (m) => m.version)).toBe(a.card.version);
    await until(() => log.some((l) => l.includes('alias check failed')));
    expect(log.find((l) => l.includes('alias check failed'))).toContain(`still serving ${a.card.version}`);
    expect(await cache.use(async (m) => m.version)).toBe(a.card.version);
    await cache.close();
  });

  it('answers a production model that cannot be loaded with ModelUnavailable, retried after a pause, not per request', async () => {
    const source = new MemorySource();
    const broken = { ...a, card: { ...a.card, version: 'v-broken' } };
    source.add(broken, new Uint8Array([9, 9, 9]));
    source.add(b);
    source.production = 'v-broken';
    let now = 0;
    const cache = new ModelCache(source, { checkIntervalMs: 10_000, now: () => now });
    await expect(cache.use(async () => undefined)).rejects.toBeInstanceOf(ModelUnavailable);
    await expect(cache.use(async () => undefined)).rejects.toThrow('could not be loaded');
    expect(source.aliasReads).toBe(1);
    source.production = b.card.version;
    now += 2_000;
    expect(await cache.use(async (m) => m.version)).toBe(b.card.version);
    await cache.close();
  });

  it('refresh() follows the alias at once (after a promote on this instance)', async () => {
    const source = new MemorySource();
    source.add(a);
    source.add(b);
    source.production = a.card.version;
    const cache = new ModelCache(source, { checkIntervalMs: 3_600_000 });
    await cache.use(async () => undefined);
    source.production = b.card.version;
    expect(await cache.use(async (m) => m.version)).toBe(a.card.version);
    await cache.refresh();
    expect(await cache.use(async (m) => m.version)).toBe(b.card.version);
    await cache.close();
  });
});
