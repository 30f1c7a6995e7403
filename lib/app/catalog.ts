import type { SettingKey } from '../config/settings.js';
import { deliverAlert, deliverDeps, dispatchAlert, dispatchDeps } from '../alerts/dispatch.js';
import { evaluateAlerts } from '../alerts/evaluate.js';
import { writeDailyReport } from '../reporting/daily.js';
import { dashboardRoute, reportRoute } from '../reporting/routes.js';
import { health } from '../api/health.js';
import { driftReportDaily } from '../drift/job.js';
import { realisedPerformance } from '../evaluation/modelPerformance.js';
import { detectOutbreaks } from '../outbreaks/job.js';
import { ingestAll } from '../pipeline/bronze.js';
import { goldFeatures, goldForDay } from '../pipeline/gold.js';
import { silverForBronzeUnit } from '../pipeline/silver.js';
import { QUEUES } from '../platform/resources.js';
import { scoreShard } from '../scoring/batch.js';
import { parseBronzeCommit, parseDayWork, parseFeatureWork, parseScoreWork } from './messages.js';
import { bronzeDeps, enqueueScoring, goldDeps, scoringDeps, silverDeps } from './stages.js';
import type { AppContext } from './context.js';
import type { ApiRequest, ApiResponse } from './http.js';
import { deviceRiskRoute } from '../serving/deviceRisk.js';
import { listModels, promoteModel, rollbackModel } from '../serving/modelRoutes.js';
import { openApiRoute } from '../serving/openapi.js';
import { predictDeviceFailure, predictDeviceFailureBatch } from '../serving/predictRoutes.js';

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
  httpFunction('predictDeviceFailure', { methods: ['POST'], route: 'predict/device-failure', authLevel: 'function' }, predictDeviceFailure),
  httpFunction('predictDeviceFailureBatch', { methods: ['POST'], route: 'predict/device-failure/batch', authLevel: 'function' }, predictDeviceFailureBatch),
  httpFunction('deviceRisk', { methods: ['GET'], route: 'devices/{id}/risk', authLevel: 'function' }, deviceRiskRoute),
  httpFunction('listModels', { methods: ['GET'], route: 'models', authLevel: 'function' }, listModels),
  httpFunction('promoteModel', { methods: ['POST'], route: 'models/{version}/promote', authLevel: 'admin' }, promoteModel),
  httpFunction('rollbackModel', { methods: ['POST'], route: 'models/rollback', authLevel: 'admin' }, rollbackModel),
  httpFunction('openApi', { methods: ['GET'], route: 'openapi.json', authLevel: 'anonymous' }, async () => openApiRoute(CATALOG.filter(isHttpFunction))),
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
  timerFunction('scoreDevicesDaily', 'SCORING_SCHEDULE', (ctx) => enqueueScoring(ctx)),
  queueFunction('scoreDevices', QUEUES.scoreDevices, async (body, ctx) => {
    await scoreShard(scoringDeps(ctx), parseScoreWork(body));
  }),
  timerFunction('driftReportDaily', 'DRIFT_SCHEDULE', (ctx) => driftReportDaily(ctx)),
  timerFunction('detectOutbreaksDaily', 'OUTBREAK_SCHEDULE', (ctx) => detectOutbreaks(ctx)),
  timerFunction('modelPerformanceDaily', 'MODEL_PERFORMANCE_SCHEDULE', (ctx) => realisedPerformance(ctx)),
  timerFunction('evaluateAlerts', 'ALERT_EVALUATION_SCHEDULE', (ctx) => evaluateAlerts(ctx)),
  queueFunction('dispatchAlerts', QUEUES.alertDispatch, async (body, ctx) => {
    await dispatchAlert(dispatchDeps(ctx), body);
  }),
  queueFunction('deliverAlerts', QUEUES.alertDeliveries, async (body, ctx) => {
    await deliverAlert(deliverDeps(ctx), body);
  }),
  timerFunction('dailyReport', 'REPORT_SCHEDULE', async (ctx) => {
    const { date, blob, bytes, email } = await writeDailyReport(ctx);
    return { date, blob, bytes, email };
  }),
  httpFunction('dashboard', { methods: ['GET'], route: 'dashboard', authLevel: 'function' }, dashboardRoute),
  httpFunction('dailyReportByDate', { methods: ['GET'], route: 'reports/{date}', authLevel: 'function' }, reportRoute),
];

export function isHttpFunction(f: FunctionDeclaration): f is HttpFunction {
  return f.trigger.kind === 'http';
}

export function findFunction(name: string): FunctionDeclaration | undefined {
  return CATALOG.find((f) => f.name === name);
}
