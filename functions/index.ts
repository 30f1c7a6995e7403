/**
 * Azure Functions entry point: registers the product's function catalog with the v4
 * programming model. No logic here: each trigger adapts its input and calls the catalog.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { CATALOG, type FunctionDeclaration, type HttpFunction } from '../lib/app/catalog.js';
import { hostedAppContext } from '../lib/app/context.js';
import { HttpError, errorResponse, type ApiRequest } from '../lib/app/http.js';
import { loadConfig } from '../lib/config/config.js';
import { parkOnLastAttempt } from '../lib/queue/functionsTrigger.js';

/** Queue triggers use the host's connection named `LakeStorage` / `ServiceBus` (identity-based in Azure). */
const STORAGE_CONNECTION = 'LakeStorage';
const SERVICE_BUS_CONNECTION = 'ServiceBus';

function adaptRequest(request: HttpRequest): ApiRequest {
  return {
    method: request.method,
    url: new URL(request.url),
    params: request.params,
    header: (name) => request.headers.get(name),
    text: async (limitBytes) => {
      const declared = Number(request.headers.get('content-length') ?? '0');
      if (limitBytes !== undefined && declared > limitBytes) throw new HttpError(413, `Request body is larger than ${limitBytes} bytes.`);
      const text = await request.text();
      if (limitBytes !== undefined && Buffer.byteLength(text) > limitBytes) throw new HttpError(413, `Request body is larger than ${limitBytes} bytes.`);
      return text;
    },
  };
}

function registerHttp(declaration: HttpFunction): void {
  app.http(declaration.name, {
    methods: [...declaration.trigger.methods],
    route: declaration.trigger.route,
    authLevel: declaration.trigger.authLevel,
    handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
      try {
        return await declaration.handler(adaptRequest(request), hostedAppContext());
      } catch (error) {
        context.error(`${declaration.name} failed`, error instanceof Error ? error.message : String(error));
        return errorResponse(error);
      }
    },
  });
}

function register(declaration: FunctionDeclaration, queueProvider: 'storage' | 'servicebus', maxAttempts: number): void {
  switch (declaration.trigger.kind) {
    case 'http':
      return registerHttp(declaration as HttpFunction);
    case 'timer': {
      const handler = declaration.handler as (ctx: ReturnType<typeof hostedAppContext>) => Promise<unknown>;
      app.timer(declaration.name, {
        // Resolved by the host from the app setting, so Bicep and the code share one schedule.
        schedule: `%${declaration.trigger.scheduleSetting}%`,
        handler: async () => {
          await handler(hostedAppContext());
        },
      });
      return;
    }
    case 'queue': {
      const handler = declaration.handler as (body: unknown, ctx: ReturnType<typeof hostedAppContext>) => Promise<void>;
      const queueName = declaration.trigger.queue;
      const run = parkOnLastAttempt(queueName, maxAttempts, (body: unknown) => handler(body, hostedAppContext()));
      if (queueProvider === 'servicebus') app.serviceBusQueue(declaration.name, { queueName, connection: SERVICE_BUS_CONNECTION, handler: run });
      else app.storageQueue(declaration.name, { queueName, connection: STORAGE_CONNECTION, handler: run });
      return;
    }
  }
}

const config = loadConfig();
for (const declaration of CATALOG) register(declaration, config.QUEUE_PROVIDER, config.QUEUE_MAX_ATTEMPTS);
