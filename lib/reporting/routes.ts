import type { AppContext } from '../app/context.js';
import { HttpError, type ApiRequest, type ApiResponse } from '../app/http.js';
import { latestReportDate, readReport } from './daily.js';

/**
 * `GET /api/dashboard` (the latest stored daily report) and `GET /api/reports/{date}`: the
 * stored HTML as it is, so what is served is exactly what was e-mailed.
 */
const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
} as const;

function html(status: number, body: string): ApiResponse {
  return { status, body, headers: HTML_HEADERS };
}

function notFoundPage(message: string): ApiResponse {
  const safe = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return html(
    404,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>No report</title></head><body style="font:16px system-ui,sans-serif;margin:2rem"><h1>No report</h1><p>${safe}</p></body></html>`,
  );
}

export async function dashboardRoute(_request: ApiRequest, ctx: AppContext): Promise<ApiResponse> {
  const date = await latestReportDate(ctx);
  const body = date ? await readReport(ctx, date) : undefined;
  if (!date || body === undefined) return notFoundPage('No daily report yet: the report timer writes one at 06:00 UTC, or run `lims-mlops report`.');
  return html(200, body);
}

export async function reportRoute(request: ApiRequest, ctx: AppContext): Promise<ApiResponse> {
  const date = request.params.date ?? '';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
    throw new HttpError(400, `Report date in the path must be a date YYYY-MM-DD, got ${JSON.stringify(date.slice(0, 40))}.`);
  }
  const body = await readReport(ctx, date);
  if (body === undefined) {
    const latest = await latestReportDate(ctx);
    return notFoundPage(`No report for ${date}.${latest ? ` The latest is ${latest}.` : ' No report has been written yet.'}`);
  }
  return html(200, body);
}
