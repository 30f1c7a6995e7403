import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../lib/app/context.js';
import { VERSION } from '../lib/app/version.js';
import { loadConfig } from '../lib/config/config.js';
import { startLocalHost, type LocalHost } from '../lib/local/host.js';
import type { EmbeddedAzurite } from '../lib/platform/azurite.js';
import { DEFAULT_SIMULATION, writeSimulatedLims } from '../lib/simulate/index.js';
import { startTestStorage } from './support/storage.js';

let azurite: EmbeddedAzurite;
let ctx: AppContext;
let host: LocalHost;
const work = mkdtempSync(path.join(tmpdir(), 'lims-host-'));

beforeAll(async () => {
  const started = await startTestStorage();
  azurite = started.azurite;
  await writeSimulatedLims({ ...DEFAULT_SIMULATION, devices: 6, days: 10 }, path.join(work, 'lims'));
  ctx = createAppContext(loadConfig({}), started.storage, work);
  host = await startLocalHost(ctx, { port: 0 });
});

afterAll(async () => {
  await host.stop();
  await ctx.close();
  await azurite.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('local host', () => {
  it('serves GET /api/health with version, storage and watermarks, and runs timers on demand', async () => {
    const before = await (await fetch(`${host.url}/api/health`)).json();
    expect(before).toMatchObject({ status: 'ok', version: VERSION, storage: { reachable: true }, watermarks: {} });

    const trigger = await fetch(`${host.url}/admin/functions/ingestBronze`, { method: 'POST' });
    expect(trigger.status).toBe(202);

    const after = (await (await fetch(`${host.url}/api/health`)).json()) as { watermarks: Record<string, { modifiedAt: string }> };
    expect(Object.keys(after.watermarks).sort()).toEqual(['device_logs', 'devices', 'lab_results', 'maintenance_events', 'quality_control']);
    expect(Date.parse(after.watermarks.lab_results!.modifiedAt)).toBeGreaterThan(Date.parse('2026-01-01'));
  });

  it('answers unknown routes, wrong methods and unknown timers with clear 4xx', async () => {
    const missing = await fetch(`${host.url}/api/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'No route for /api/nothing-here.' });
    const wrongMethod = await fetch(`${host.url}/api/health`, { method: 'POST', body: '{}' });
    expect(wrongMethod.status).toBe(405);
    const unknownTimer = await fetch(`${host.url}/admin/functions/nope`, { method: 'POST' });
    expect(unknownTimer.status).toBe(404);
    expect(((await unknownTimer.json()) as { error: string }).error).toContain('ingestBronze');
  });

  it('reports storage as unreachable with 503 when Azurite is down', async () => {
    const down = createAppContext(loadConfig({}), (await import('../lib/platform/storage.js')).storageFromConnectionString(
      azurite.connectionString.replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, 'TableEndpoint=http://127.0.0.1:9'),
    ));
    const other = await startLocalHost(down, { port: 0, pollIntervalMs: 0 });
    try {
      const response = await fetch(`${other.url}/api/health`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: 'degraded', storage: { reachable: false } });
    } finally {
      await other.stop();
    }
  });
});
