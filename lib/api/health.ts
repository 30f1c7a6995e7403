import type { AppContext } from '../app/context.js';
import { json, type ApiResponse } from '../app/http.js';
import { VERSION } from '../app/version.js';

export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly version: string;
  readonly storage: { readonly reachable: boolean; readonly account: string; readonly latencyMs: number; readonly error?: string };
  readonly watermarks: Record<string, { readonly modifiedAt: string; readonly key: string; readonly updatedAt: string | null }>;
}

/** A health probe must answer quickly even when storage hangs or retries. */
const STORAGE_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`storage did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** `GET /api/health`: version, storage reachability and the latest ingestion watermarks. */
export async function health(ctx: AppContext): Promise<ApiResponse> {
  const started = performance.now();
  try {
    const states = await withTimeout(ctx.watermarks.all(), STORAGE_TIMEOUT_MS);
    const watermarks: HealthReport['watermarks'] = {};
    for (const [table, state] of Object.entries(states)) {
      if (state.watermark) {
        watermarks[table] = { modifiedAt: new Date(state.watermark.modifiedAt).toISOString(), key: state.watermark.key, updatedAt: state.updatedAt };
      }
    }
    const storage = { reachable: true, account: ctx.storage.description, latencyMs: Math.round(performance.now() - started) };
    return json(200, { status: 'ok', version: VERSION, storage, watermarks } satisfies HealthReport);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    const storage = { reachable: false, account: ctx.storage.description, latencyMs: Math.round(performance.now() - started), error: reason };
    return json(503, { status: 'degraded', version: VERSION, storage, watermarks: {} } satisfies HealthReport);
  }
}
