import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CATALOG } from '../lib/app/catalog.js';
import type { EmbeddedAzurite } from '../lib/platform/azurite.js';
import { startTestStorage } from '../test/support/storage.js';

/** What functions/index.ts asked the Functions host to register, captured instead of the host. */
const registered = vi.hoisted(() => ({ http: new Map<string, unknown>(), timer: new Map<string, unknown>(), queue: new Map<string, unknown>() }));

vi.mock('@azure/functions', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@azure/functions')>();
  return {
    ...actual,
    app: {
      http: (name: string, options: unknown) => registered.http.set(name, options),
      timer: (name: string, options: unknown) => registered.timer.set(name, options),
      storageQueue: (name: string, options: unknown) => registered.queue.set(name, options),
      serviceBusQueue: (name: string, options: unknown) => registered.queue.set(name, options),
    },
  };
});

let azurite: EmbeddedAzurite;

beforeAll(async () => {
  ({ azurite } = await startTestStorage());
  vi.stubEnv('LAKE_STORAGE_CONNECTION_STRING', azurite.connectionString);
  await import('./index.js');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await azurite.stop();
});

describe('Azure Functions registration', () => {
  it('registers every function of the catalog once, with its trigger', () => {
    const names = [...registered.http.keys(), ...registered.timer.keys(), ...registered.queue.keys()].sort();
    expect(names).toEqual(CATALOG.map((f) => f.name).sort());
    expect(registered.timer.get('ingestBronze')).toMatchObject({ schedule: '%INGEST_SCHEDULE%' });
    expect(registered.http.get('health')).toMatchObject({ route: 'health', methods: ['GET'], authLevel: 'anonymous' });
  });

  it('the registered HTTP handler answers a real HttpRequest', async () => {
    const options = registered.http.get('health') as { handler: (r: HttpRequest, c: InvocationContext) => Promise<{ status: number; jsonBody: unknown }> };
    const response = await options.handler(new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }), new InvocationContext({ functionName: 'health' }));
    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({ status: 'ok', storage: { reachable: true } });
  });
});
