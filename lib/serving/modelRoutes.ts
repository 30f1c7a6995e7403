/**
 * `GET /api/models` (versions, aliases, metrics, audit trail) and the admin routes
 * `POST /api/models/{version}/promote` and `POST /api/models/rollback`.
 *
 * Azure enforces the function's admin auth level (the host's master key); the handler also
 * requires the `x-admin-key` header to equal the ADMIN_API_KEY setting, compared in constant
 * time, so that the routes are protected on the local host too and can be disabled by leaving
 * the setting empty.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppContext } from '../app/context.js';
import { HttpError, json, type ApiRequest, type ApiResponse } from '../app/http.js';
import type { Config } from '../config/settings.js';
import { MODEL_ALIASES } from '../registry/card.js';
import { promoteVersion, rollbackProduction } from '../registry/promotion.js';
import { AliasConflict, type AliasRecord } from '../registry/registry.js';
import { checkBody, readJson } from './body.js';
import { aliasChangeRequest, type modelsResponse } from './contract.js';
import { string, validate, type Infer } from './schema.js';

export const ADMIN_KEY_HEADER = 'x-admin-key';
const ADMIN_BODY_LIMIT_BYTES = 16 * 1024;
const AUDIT_ENTRIES = 50;

export const modelVersionParam = string({
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9_.-]+$',
  patternMeaning: 'letters, digits, ".", "_" or "-"',
  description: 'A registered model version (GET /api/models lists them).',
});

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Throws 503 when admin routes are disabled, 401 when the key is missing or wrong. */
export function requireAdminKey(request: ApiRequest, config: Pick<Config, 'ADMIN_API_KEY'>): void {
  if (config.ADMIN_API_KEY === '') {
    throw new HttpError(503, 'Admin routes disabled: set the ADMIN_API_KEY setting (a Key Vault reference in Azure) to enable promote and rollback.');
  }
  const given = request.header(ADMIN_KEY_HEADER);
  // Hashing first gives equal-length buffers, so the comparison time does not depend on the key.
  if (given === null || given === '' || !timingSafeEqual(digest(given), digest(config.ADMIN_API_KEY))) {
    throw new HttpError(401, `Missing or wrong ${ADMIN_KEY_HEADER} header: admin routes need the ADMIN_API_KEY value.`);
  }
}

export async function listModels(_request: ApiRequest, ctx: AppContext): Promise<ApiResponse> {
  const registry = ctx.registry();
  const [versions, aliases, audit] = await Promise.all([
    registry.versions(),
    Promise.all(MODEL_ALIASES.map(async (alias) => [alias, await registry.alias(alias)] as const)),
    registry.auditTrail(AUDIT_ENTRIES),
  ]);
  const body: Infer<typeof modelsResponse> = {
    aliases: Object.fromEntries(aliases.map(([alias, record]) => [alias, record ? { version: record.version, updatedAt: record.updatedAt } : null])),
    serving: ctx.models().status(),
    versions: versions.map((card) => ({
      version: card.version,
      created: card.created,
      codeVersion: card.codeVersion,
      aliases: aliases.filter(([, record]) => record?.version === card.version).map(([alias]) => alias),
      trainingWindow: card.trainingWindow,
      rowCounts: card.rowCounts,
      metrics: card.metrics,
      thresholds: { high: card.thresholds.high, medium: card.thresholds.medium, rule: card.thresholds.rule },
    })),
    audit: audit.map((r) => ({ at: r.at, alias: r.alias, from: r.from, to: r.to, actor: r.actor, reason: r.reason })),
  };
  return json(200, body);
}

async function changeRequest(request: ApiRequest): Promise<{ actor: string; reason: string | undefined }> {
  const body = await readJson(request, { limitBytes: ADMIN_BODY_LIMIT_BYTES, expected: 'an optional JSON object {"reason": "...", "actor": "..."}', whenEmpty: {} });
  const change = checkBody(aliasChangeRequest, body);
  return { actor: change.actor ?? 'admin-api', reason: change.reason };
}

/** Registry errors a caller can act on, as 404/409. */
function aliasError(error: unknown): never {
  if (error instanceof AliasConflict) throw new HttpError(409, `${error.message}.`);
  const message = error instanceof Error ? error.message : String(error);
  if (/^No model version /.test(message)) throw new HttpError(404, `${message}; GET /api/models lists the registered versions.`);
  if (/^No production model|no earlier version/.test(message)) throw new HttpError(409, `${message}.`);
  throw error;
}

/** Makes this instance serve the new production model now (other instances follow within MODEL_ALIAS_CHECK_SECONDS). */
async function followAlias(ctx: AppContext): Promise<void> {
  await ctx.models().refresh();
}

function moved(from: AliasRecord | undefined, to: AliasRecord, actor: string, reason: string, changed = true): ApiResponse {
  return json(200, { alias: 'production', from: from?.version ?? null, to: to.version, changed, actor, reason });
}

export async function promoteModel(request: ApiRequest, ctx: AppContext): Promise<ApiResponse> {
  requireAdminKey(request, ctx.config);
  const param = validate(modelVersionParam, request.params.version);
  if (!param.ok) throw new HttpError(400, `Model version in the path ${param.issues[0]?.message ?? 'is invalid'}.`);
  const version = param.value;
  const { actor, reason = `manual promotion of ${version} (admin HTTP route)` } = await changeRequest(request);
  const registry = ctx.registry();
  const before = await registry.alias('production');
  if (before?.version === version) return moved(before, before, actor, reason, false);
  const after = await promoteVersion(registry, version, actor, reason).catch(aliasError);
  await followAlias(ctx);
  return moved(before, after, actor, reason);
}

export async function rollbackModel(request: ApiRequest, ctx: AppContext): Promise<ApiResponse> {
  requireAdminKey(request, ctx.config);
  const { actor, reason = 'manual rollback (admin HTTP route)' } = await changeRequest(request);
  const registry = ctx.registry();
  const before = await registry.alias('production');
  const after = await rollbackProduction(registry, actor, reason).catch(aliasError);
  await followAlias(ctx);
  return moved(before, after, actor, reason);
}
