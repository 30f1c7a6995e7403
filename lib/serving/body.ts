/** Reading and validating JSON request bodies: every failure is a 4xx whose message says what to fix. */
import { HttpError, type ApiRequest } from '../app/http.js';
import { validate, type Issue, type Schema } from './schema.js';

const MAX_LISTED = 20;
const MAX_DETAILS = 200;

/** A 400 naming every bad field, in the message (for curl) and as a list (for programs). */
export function invalidBody(issues: readonly Issue[], what = 'Invalid request body'): HttpError {
  const listed = issues.slice(0, MAX_LISTED).map((i) => `${i.field} ${i.message}`);
  const more = issues.length > MAX_LISTED ? `; and ${issues.length - MAX_LISTED} more (see details)` : '';
  return new HttpError(400, `${what}: ${listed.join('; ')}${more}.`, issues.slice(0, MAX_DETAILS));
}

export interface ReadJsonOptions {
  readonly limitBytes: number;
  /** Added to the 413 message, e.g. how to split a batch. */
  readonly tooLargeHint?: string;
  /** What a valid body looks like, for the empty-body message. */
  readonly expected: string;
  /** An empty body stands for this value (e.g. {} where every field is optional). */
  readonly whenEmpty?: unknown;
}

/** The body parsed as JSON: 413 past the limit, 400 when empty (unless allowed) or not JSON. */
export async function readJson(request: ApiRequest, options: ReadJsonOptions): Promise<unknown> {
  const limit = options.limitBytes;
  const tooLarge = (size: string): HttpError =>
    new HttpError(413, `Request body is ${size}; this route accepts at most ${limit.toLocaleString('en-US')} bytes.${options.tooLargeHint ? ` ${options.tooLargeHint}` : ''}`);
  const declared = Number(request.header('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(`${declared.toLocaleString('en-US')} bytes`);
  let text: string;
  try {
    text = await request.text(limit);
  } catch (error) {
    if (error instanceof HttpError && error.status === 413) throw tooLarge(`larger than ${limit.toLocaleString('en-US')} bytes`);
    throw error;
  }
  if (text.trim() === '') {
    if (options.whenEmpty !== undefined) return options.whenEmpty;
    throw new HttpError(400, `Request body is empty; send ${options.expected} (Content-Type: application/json).`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, `Request body is not valid JSON (${reason}); send ${options.expected}.`);
  }
}

/** The body checked against `schema`, or a 400 naming each bad field. */
export function checkBody<T>(schema: Schema<T>, value: unknown): T {
  const result = validate(schema, value);
  if (!result.ok) throw invalidBody(result.issues);
  return result.value;
}
