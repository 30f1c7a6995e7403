import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedAzurite } from '../platform/azurite.js';
import { CONTAINERS, TABLES } from '../platform/resources.js';
import { startTestStorage } from '../../test/support/storage.js';
import type { ModelCard } from './card.js';
import { promotionDecision } from './gate.js';
import { AliasConflict, ModelRegistry, newVersion } from './registry.js';

let azurite: EmbeddedAzurite;
let registry: ModelRegistry;

beforeAll(async () => {
  const started = await startTestStorage();
  azurite = started.azurite;
  registry = new ModelRegistry(started.storage.container(CONTAINERS.models), started.storage.table(TABLES.modelAliases), started.storage.table(TABLES.modelAudit), 'test-model');
});
afterAll(async () => azurite.stop());

function card(version: string, auc: number): ModelCard {
  return {
    name: 'test-model',
    version,
    created: new Date().toISOString(),
    codeVersion: '0.1.0',
    trainingWindow: { from: '2026-01-01', to: '2026-03-01' },
    rowCounts: { train: 10, validation: 5, holdout: 5 },
    dataHash: 'abc',
    features: [{ name: 'x', min: 0, max: 1 }],
    label: 'y',
    hyperparameters: { learningRate: 0.1 },
    metrics: { roc_auc: auc },
    calibration: { method: 'platt' },
    thresholds: { high: 0.8, medium: 0.5 },
  };
}

describe('model registry', () => {
  it('stores versions, moves aliases conditionally and audits every change', async () => {
    const first = newVersion();
    const second = newVersion();
    await registry.register(card(first, 0.9), new Uint8Array([1, 2, 3]), '{}');
    await registry.register(card(second, 0.92), new Uint8Array([4, 5]), '{"trees":[]}');
    expect([...(await registry.onnx(second))]).toEqual([4, 5]);
    expect(await registry.treesJson(second)).toBe('{"trees":[]}');
    expect((await registry.versions()).map((c) => c.version).sort()).toEqual([first, second].sort());

    const promoted = await registry.setAlias('production', first, { actor: 'test', reason: 'first model', expected: undefined });
    expect(promoted.version).toBe(first);
    const stale = promoted;
    const moved = await registry.setAlias('production', second, { actor: 'test', reason: 'better', expected: promoted });
    await expect(registry.setAlias('production', first, { actor: 'test', reason: 'stale', expected: stale })).rejects.toThrow(AliasConflict);
    await registry.setAlias('production', first, { actor: 'ops', reason: 'rollback', expected: moved });
    expect((await registry.alias('production'))?.version).toBe(first);
    const trail = await registry.auditTrail();
    expect(trail.map((r) => [r.from, r.to, r.reason])).toEqual([
      [second, first, 'rollback'],
      [first, second, 'better'],
      [null, first, 'first model'],
    ]);
  });

  it('refuses to point an alias at a version that does not exist', async () => {
    await expect(registry.setAlias('staging', 'v-missing', { actor: 't', reason: 'r', expected: undefined })).rejects.toThrow('No model version v-missing');
  });
});

describe('promotion gate', () => {
  it('promotes the first model, refuses a worse one beyond the tolerance, accepts within it', () => {
    expect(promotionDecision(0.7, undefined, 0.01).promote).toBe(true);
    expect(promotionDecision(0.85, 0.9, 0.01)).toMatchObject({ promote: false });
    expect(promotionDecision(0.895, 0.9, 0.01).promote).toBe(true);
    expect(promotionDecision(0.85, 0.9, 0.01).reason).toContain('0.8500');
  });
});
