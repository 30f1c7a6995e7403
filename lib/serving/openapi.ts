/**
 * `GET /api/openapi.json`: an OpenAPI 3.0 document of the HTTP functions in the catalog,
 * generated from the schema objects the handlers validate with (lib/serving/contract.ts).
 */
import type { HttpFunction } from '../app/catalog.js';
import { json, type ApiResponse } from '../app/http.js';
import { VERSION } from '../app/version.js';
import {
  BATCH_BODY_LIMIT_BYTES,
  DEFAULT_HISTORY_DAYS,
  MAX_BATCH_DEVICES,
  MAX_HISTORY_DAYS,
  SINGLE_BODY_LIMIT_BYTES,
  aliasChangeRequest,
  aliasChangeResponse,
  batchRequest,
  batchResponse,
  deviceFeaturesRequest,
  deviceId,
  deviceRisk,
  errorBody,
  modelsResponse,
  prediction,
} from './contract.js';
import { ADMIN_KEY_HEADER, modelVersionParam } from './modelRoutes.js';
import { number, type JsonSchema, type Schema } from './schema.js';

interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly required: boolean;
  readonly description: string;
  readonly schema: JsonSchema;
}

interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  readonly request?: { readonly schema: Schema<unknown>; readonly required: boolean };
  readonly parameters?: readonly Parameter[];
  /** Status -> [description, body schema]. */
  readonly responses: Readonly<Record<number, readonly [string, Schema<unknown>?]>>;
}

const ERRORS = {
  400: ['A field or the body is invalid; the message names each bad field.', errorBody],
  413: ['The body is over the route\'s size limit.', errorBody],
  503: ['No production model yet (run `lims-mlops train`).', errorBody],
} as const;
const ADMIN_ERRORS = {
  401: [`Missing or wrong ${ADMIN_KEY_HEADER} header.`, errorBody],
  409: ['The alias moved meanwhile, or there is nothing to roll back to.', errorBody],
  503: ['Admin routes disabled (ADMIN_API_KEY not set).', errorBody],
} as const;

/** Documentation of the routes by function name (the catalog's names). */
const DOCS: Readonly<Record<string, RouteDoc>> = {
  health: { summary: 'Version, storage reachability and ingestion watermarks', responses: { 200: ['Healthy.'], 503: ['Storage unreachable.'] } },
  predictDeviceFailure: {
    summary: 'Failure probability of one device within 7 days, with its risk score, level and main factors',
    description: `Body limit ${SINGLE_BODY_LIMIT_BYTES} bytes. Every field is required; unknown fields are rejected.`,
    request: { schema: deviceFeaturesRequest, required: true },
    responses: { 200: ['The prediction.', prediction], ...ERRORS },
  },
  predictDeviceFailureBatch: {
    summary: `Predictions for up to ${MAX_BATCH_DEVICES} devices in one call (one ONNX run)`,
    description: `Body limit ${BATCH_BODY_LIMIT_BYTES} bytes. Invalid devices are reported by index in errors; the valid ones are scored. 400 when none is valid.`,
    request: { schema: batchRequest, required: true },
    responses: { 200: ['Predictions of the valid devices and errors of the others.', batchResponse], ...ERRORS },
  },
  deviceRisk: {
    summary: 'Latest batch prediction of a device and its recent history',
    parameters: [
      { name: 'id', in: 'path', required: true, description: 'Device id.', schema: deviceId.toJsonSchema() },
      {
        name: 'days',
        in: 'query',
        required: false,
        description: `Score dates to look back over (default ${DEFAULT_HISTORY_DAYS}).`,
        schema: number({ minimum: 1, maximum: MAX_HISTORY_DAYS, integer: true }).toJsonSchema(),
      },
    ],
    responses: { 200: ['Latest prediction and history, newest first.', deviceRisk], 400: ERRORS[400], 404: ['No batch predictions yet, or none for this device.', errorBody] },
  },
  listModels: { summary: 'Registered model versions with metrics, aliases and the alias audit trail', responses: { 200: ['The registry.', modelsResponse] } },
  promoteModel: {
    summary: 'Make a version the production model (admin)',
    description: 'Recorded in the audit trail with actor and reason. No gate: this is the manual override.',
    parameters: [{ name: 'version', in: 'path', required: true, description: 'Model version.', schema: modelVersionParam.toJsonSchema() }],
    request: { schema: aliasChangeRequest, required: false },
    responses: { 200: ['Production moved (changed=false when it already was this version).', aliasChangeResponse], 400: ERRORS[400], 404: ['No such version.', errorBody], ...ADMIN_ERRORS },
  },
  rollbackModel: {
    summary: 'Point production back at the version it replaced, from the audit trail (admin)',
    request: { schema: aliasChangeRequest, required: false },
    responses: { 200: ['Production moved back.', aliasChangeResponse], 400: ERRORS[400], ...ADMIN_ERRORS },
  },
  openApi: { summary: 'This document', responses: { 200: ['OpenAPI 3.0 document.'] } },
};

/** `devices/{id:alpha}/risk` -> `/api/devices/{id}/risk`. */
function openApiPath(route: string): string {
  return `/api/${route.replace(/\{(\w+)(?::\w+)?\??\}/g, '{$1}')}`;
}

/** Declared parameters, plus a plain string for any path parameter a route's doc does not describe. */
function parameters(route: string, doc: RouteDoc): Parameter[] {
  const declared = [...(doc.parameters ?? [])];
  for (const match of route.matchAll(/\{(\w+)(?::\w+)?\??\}/g)) {
    const name = match[1] as string;
    if (!declared.some((p) => p.in === 'path' && p.name === name)) declared.push({ name, in: 'path', required: true, description: name, schema: { type: 'string' } });
  }
  return declared;
}

function operation(declaration: HttpFunction): Record<string, unknown> {
  const doc: RouteDoc = DOCS[declaration.name] ?? { summary: declaration.name, responses: { 200: ['OK.'] } };
  const auth = declaration.trigger.authLevel;
  const params = parameters(declaration.trigger.route, doc);
  return {
    operationId: declaration.name,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(doc.request
      ? { requestBody: { required: doc.request.required, content: { 'application/json': { schema: doc.request.schema.toJsonSchema() } } } }
      : {}),
    responses: Object.fromEntries(
      Object.entries(doc.responses).map(([status, [description, schema]]) => [
        status,
        { description, ...(schema ? { content: { 'application/json': { schema: schema.toJsonSchema() } } } : {}) },
      ]),
    ),
    security: auth === 'anonymous' ? [] : auth === 'function' ? [{ functionKey: [] }] : [{ functionKey: [], adminKey: [] }],
  };
}

export function openApiDocument(functions: readonly HttpFunction[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const declaration of functions) {
    const path = openApiPath(declaration.trigger.route);
    for (const method of declaration.trigger.methods) (paths[path] ??= {})[method.toLowerCase()] = operation(declaration);
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'LIMS MLOps API',
      version: VERSION,
      description: 'Device-failure predictions (7 days ahead) with TreeSHAP explanations, batch predictions, and the model registry.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: {
        functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key', description: 'Azure Functions key (function or host key; the master key for admin routes). Not checked by the local host.' },
        adminKey: { type: 'apiKey', in: 'header', name: ADMIN_KEY_HEADER, description: 'The ADMIN_API_KEY setting.' },
      },
    },
  };
}

export function openApiRoute(functions: readonly HttpFunction[]): ApiResponse {
  return json(200, openApiDocument(functions));
}
