/**
 * The HTTP shape handlers see, independent of the host: Azure Functions' HttpRequest and the
 * local host's node request are both adapted to it, so handlers are written once.
 */
export interface ApiRequest {
  readonly method: string;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  header(name: string): string | null;
  /** The body as text; rejects with HttpError(413) past `limitBytes`. */
  text(limitBytes?: number): Promise<string>;
}

export interface ApiResponse {
  readonly status: number;
  readonly jsonBody?: unknown;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An error that becomes a 4xx answer with a message a caller can act on. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function json(status: number, body: unknown): ApiResponse {
  return { status, jsonBody: body };
}

/** Maps any thrown error to a response: HttpErrors keep their status; others are 500 without internals. */
export function errorResponse(error: unknown): ApiResponse {
  if (error instanceof HttpError) return json(error.status, { error: error.message, ...(error.details ? { details: error.details } : {}) });
  return json(500, { error: 'Internal error; see the logs for the run id and cause.' });
}
