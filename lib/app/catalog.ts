import type { SettingKey } from '../config/settings.js';
import { health } from '../api/health.js';
import { ingestAll } from '../pipeline/bronze.js';
import type { AppContext } from './context.js';
import type { ApiRequest, ApiResponse } from './http.js';

/**
 * Every function of the product, declared once as data. `functions/index.ts` registers this
 * list with Azure Functions; the local host (`lims-mlops serve`) runs the same list.
 */
export type Trigger =
  | { readonly kind: 'http'; readonly methods: readonly ('GET' | 'POST')[]; readonly route: string; readonly authLevel: 'anonymous' | 'function' | 'admin' }
  | { readonly kind: 'timer'; readonly scheduleSetting: SettingKey }
  | { readonly kind: 'queue'; readonly queue: string };

interface Declared<K extends Trigger['kind'], H> {
  readonly name: string;
  readonly trigger: Extract<Trigger, { kind: K }>;
  readonly handler: H;
}

export type HttpFunction = Declared<'http', (request: ApiRequest, ctx: AppContext) => Promise<ApiResponse>>;
export type TimerFunction = Declared<'timer', (ctx: AppContext) => Promise<unknown>>;
export type QueueFunction = Declared<'queue', (body: unknown, ctx: AppContext) => Promise<void>>;
export type FunctionDeclaration = HttpFunction | TimerFunction | QueueFunction;

function httpFunction(name: string, trigger: Omit<HttpFunction['trigger'], 'kind'>, handler: HttpFunction['handler']): HttpFunction {
  return { name, trigger: { kind: 'http', ...trigger }, handler };
}

function timerFunction(name: string, scheduleSetting: SettingKey, handler: TimerFunction['handler']): TimerFunction {
  return { name, trigger: { kind: 'timer', scheduleSetting }, handler };
}

export const CATALOG: readonly FunctionDeclaration[] = [
  httpFunction('health', { methods: ['GET'], route: 'health', authLevel: 'anonymous' }, (_request, ctx) => health(ctx)),
  timerFunction('ingestBronze', 'INGEST_SCHEDULE', (ctx) =>
    ingestAll(
      { source: ctx.source(), lake: ctx.lake, watermarks: ctx.watermarks, ledger: ctx.ledger },
      { pageSize: ctx.config.INGEST_PAGE_SIZE, overlapMinutes: ctx.config.INGEST_OVERLAP_MINUTES },
    ),
  ),
];

export function findFunction(name: string): FunctionDeclaration | undefined {
  return CATALOG.find((f) => f.name === name);
}
