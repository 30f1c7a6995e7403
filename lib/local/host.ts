import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CATALOG, type FunctionDeclaration, type HttpFunction, type QueueFunction, type TimerFunction } from '../app/catalog.js';
import type { AppContext } from '../app/context.js';
import { HttpError, errorResponse, json, type ApiRequest, type ApiResponse } from '../app/http.js';
import { openWorkQueue } from '../queue/index.js';
import { drainQueue } from '../queue/workQueue.js';

/**
 * The local stand-in for the Functions host: HTTP routes under /api on a local port, queue
 * triggers polling the emulator's queues, and timers run on demand with
 * `POST /admin/functions/<name>` (the same admin route Azure Functions offers).
 */
export interface LocalHost {
  readonly url: string;
  /** Runs a timer function now (what its schedule would do). */
  runTimer(name: string): Promise<unknown>;
  stop(): Promise<void>;
}

export interface HostOptions {
  readonly port: number;
  readonly host?: string;
  /** Queue polling interval; 0 disables queue triggers. */
  readonly pollIntervalMs?: number;
  readonly log?: (line: string) => void;
}

interface CompiledRoute {
  readonly declaration: HttpFunction;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

function isHttp(f: FunctionDeclaration): f is HttpFunction {
  return f.trigger.kind === 'http';
}
function isTimer(f: FunctionDeclaration): f is TimerFunction {
  return f.trigger.kind === 'timer';
}
function isQueue(f: FunctionDeclaration): f is QueueFunction {
  return f.trigger.kind === 'queue';
}

/** Azure route templates (`devices/{id}/risk`, `{id:int}`) as regular expressions. */
function compileRoute(declaration: HttpFunction): CompiledRoute {
  const names: string[] = [];
  const source = declaration.trigger.route
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)(?::\w+)?\??\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { declaration, pattern: new RegExp(`^/api/${source}/?$`), names };
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

function adaptRequest(request: IncomingMessage, url: URL, params: Record<string, string>): ApiRequest {
  return {
    method: request.method ?? 'GET',
    url,
    params,
    header: (name) => {
      const value = request.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : (value ?? null);
    },
    text: (limitBytes = MAX_BODY_BYTES) => readBody(request, limitBytes),
  };
}

function readBody(request: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        request.removeAllListeners('data');
        request.resume();
        reject(new HttpError(413, `Request body is larger than ${limitBytes} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, result: ApiResponse): void {
  const body = result.jsonBody !== undefined ? JSON.stringify(result.jsonBody) : (result.body ?? '');
  const headers: Record<string, string | number> = { ...(result.headers ?? {}) };
  if (result.jsonBody !== undefined) headers['content-type'] ??= 'application/json; charset=utf-8';
  // With the length known, Node sends headers and body in one write instead of chunked encoding.
  const payload = Buffer.from(body, 'utf8');
  headers['content-length'] = payload.length;
  response.writeHead(result.status, headers);
  response.end(payload);
}

export async function startLocalHost(ctx: AppContext, options: HostOptions): Promise<LocalHost> {
  const log = options.log ?? (() => undefined);
  const routes = CATALOG.filter(isHttp).map(compileRoute);
  const timers = new Map(CATALOG.filter(isTimer).map((f) => [f.name, f]));

  const runTimer = async (name: string): Promise<unknown> => {
    const timer = timers.get(name);
    if (!timer) throw new HttpError(404, `No timer function named ${name}; timers: ${[...timers.keys()].join(', ')}.`);
    log(`timer ${name}: running`);
    const result = await timer.handler(ctx);
    log(`timer ${name}: done`);
    return result;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    try {
      const admin = /^\/admin\/functions\/([\w-]+)$/.exec(url.pathname);
      if (admin && request.method === 'POST') return send(response, json(202, { function: admin[1], result: await runTimer(admin[1]!) }));
      for (const route of routes) {
        const match = route.pattern.exec(url.pathname);
        if (!match) continue;
        if (!route.declaration.trigger.methods.includes((request.method ?? 'GET') as 'GET' | 'POST')) {
          return send(response, json(405, { error: `${request.method} is not allowed on ${url.pathname}; use ${route.declaration.trigger.methods.join(' or ')}.` }));
        }
        const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
        return send(response, await route.declaration.handler(adaptRequest(request, url, params), ctx));
      }
      send(response, json(404, { error: `No route for ${url.pathname}.` }));
    } catch (error) {
      if (!(error instanceof HttpError)) log(`error on ${url.pathname}: ${error instanceof Error ? error.message : String(error)}`);
      send(response, errorResponse(error));
    }
  };

  const server: Server = createServer((request, response) => void handle(request, response));
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  const stopPolling = startQueuePollers(ctx, options.pollIntervalMs ?? 1000, log);
  return {
    url: `http://${address.address}:${address.port}`,
    runTimer,
    stop: async () => {
      await stopPolling();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

/** Polls each queue function's queue until stopped; failures are retried then parked by the queue layer. */
function startQueuePollers(ctx: AppContext, intervalMs: number, log: (line: string) => void): () => Promise<void> {
  if (intervalMs <= 0) return async () => undefined;
  let stopped = false;
  const loops = CATALOG.filter(isQueue).map(async (declaration) => {
    const queue = openWorkQueue<unknown>(declaration.trigger.queue, ctx.config, ctx.storage);
    while (!stopped) {
      try {
        // The poll loop itself comes back for retries, so the drain does not wait for them;
        // a generous visibility timeout keeps a long unit of work from being delivered twice.
        await drainQueue(queue, (body) => declaration.handler(body, ctx), {
          maxAttempts: ctx.config.QUEUE_MAX_ATTEMPTS,
          visibilityTimeoutSeconds: 600,
          waitForRetriesWithinSeconds: 0,
        });
      } catch (error) {
        log(`queue ${declaration.trigger.queue}: ${error instanceof Error ? error.message : String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  });
  return async () => {
    stopped = true;
    await Promise.all(loops);
  };
}
