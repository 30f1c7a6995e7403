import type { SettingKey } from '../config/settings.js';
import { health } from '../api/health.js';
import { ingestAll } from '../pipeline/bronze.js';
import { goldFeatures, goldForDay } from '../pipeline/gold.js';
import { silverForBronzeUnit } from '../pipeline/silver.js';
import { QUEUES } from '../platform/resources.js';
import { parseBronzeCommit, parseDayWork, parseFeatureWork } from './messages.js';
import { bronzeDeps, goldDeps, silverDeps } from './stages.js';
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

function queueFunction(name: string, queue: string, handler: QueueFunction['handler']): QueueFunction {
  return { name, trigger: { kind: 'queue', queue }, handler };
}

export const CATALOG: readonly FunctionDeclaration[] = [
  httpFunction('health', { methods: ['GET'], route: 'health', authLevel: 'anonymous' }, (_request, ctx) => health(ctx)),
  timerFunction('ingestBronze', 'INGEST_SCHEDULE', (ctx) =>
    ingestAll(bronzeDeps(ctx), { pageSize: ctx.config.INGEST_PAGE_SIZE, overlapMinutes: ctx.config.INGEST_OVERLAP_MINUTES }),
  ),
  queueFunction('silverStandardize', QUEUES.bronzeCommitted, async (body, ctx) => {
    await silverForBronzeUnit(silverDeps(ctx), parseBronzeCommit(body));
  }),
  queueFunction('goldDay', QUEUES.goldDay, async (body, ctx) => {
    await goldForDay(goldDeps(ctx), parseDayWork(body));
  }),
  queueFunction('goldFeatures', QUEUES.goldFeatures, async (body, ctx) => {
    await goldFeatures(goldDeps(ctx), parseFeatureWork(body));
  }),
];

export function findFunction(name: string): FunctionDeclaration | undefined {
  return CATALOG.find((f) => f.name === name);
}
