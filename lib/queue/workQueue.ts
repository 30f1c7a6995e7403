/** One delivery of a unit of work. */
export interface WorkMessage<T> {
  /** Stays the same across deliveries and retries; the parked-messages record is filed under it. */
  readonly id: string;
  readonly body: T;
  /** 1-based delivery count */
  readonly attempt: number;
}

/**
 * A queue of JSON work items with at-least-once delivery. Handlers must tolerate a repeat
 * delivery (pipeline units of work replace their output, so they do).
 */
export interface WorkQueue<T> {
  readonly name: string;
  send(body: T): Promise<void>;
  /** Efficient: batched for Service Bus, in parallel for Storage. */
  sendMany(bodies: readonly T[]): Promise<void>;
  /**
   * Up to `max` messages, hidden from other receivers meanwhile. Messages that cannot be decoded
   * are parked here with the reason and never returned, so an empty answer means an empty queue.
   */
  receive(max: number, visibilityTimeoutSeconds?: number): Promise<WorkMessage<T>[]>;
  complete(message: WorkMessage<T>): Promise<void>;
  /**
   * Failed with attempts left: visible again after a backoff that grows with the attempt.
   * Resolves to the time the message is due again.
   */
  retryLater(message: WorkMessage<T>, error: Error): Promise<Date>;
  /** Out of attempts: moved aside (poison queue / dead-letter) with the reason, never dropped. */
  park(message: WorkMessage<T>, reason: string): Promise<void>;
}

/** A message body as read off the wire: the value, or what is wrong with it. */
export type DecodedBody = { readonly ok: true; readonly body: unknown } | { readonly ok: false; readonly problem: string };

/** Exponential backoff: `initialSeconds` after the first failure, doubling, capped at `maxSeconds`. */
export interface Backoff {
  readonly initialSeconds: number;
  readonly maxSeconds: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialSeconds: 10, maxSeconds: 600 };

/** Whole seconds before the next attempt, after `attempt` has failed. */
export function backoffSeconds(backoff: Backoff, attempt: number): number {
  const seconds = backoff.initialSeconds * 2 ** Math.max(0, attempt - 1);
  return Math.ceil(Math.min(backoff.maxSeconds, seconds));
}

/** The reason recorded with a parked message: what failed, and after how many attempts. */
export function parkReason(error: Error, attempt: number, maxAttempts: number): string {
  return `Failed on attempt ${attempt} of ${maxAttempts}: ${describeError(error)}`;
}

/** An error in one line a person can act on: SDK errors often have an empty message but a status and code. */
export function describeError(error: Error): string {
  const details = error as Error & { statusCode?: number; code?: string; details?: { errorCode?: string } };
  const code = details.details?.errorCode ?? details.code;
  const status = [details.statusCode ? `HTTP ${details.statusCode}` : '', code ?? ''].filter(Boolean).join(' ');
  const message = error.message.trim().split('\n')[0] || error.name;
  return status ? `${message} (${status})` : message;
}

export type WorkHandler<T> = (body: T, message: WorkMessage<T>) => Promise<void>;

export interface ProcessOptions<T> {
  /** Deliveries before a failing message is parked (QUEUE_MAX_ATTEMPTS). */
  readonly maxAttempts: number;
  /** Messages received per batch (default 16). */
  readonly max?: number;
  readonly visibilityTimeoutSeconds?: number;
  /** Handlers running at once (default 4). */
  readonly concurrency?: number;
  /** Called after a handler failure parked a message (undecodable messages are parked by `receive`). */
  readonly onParked?: (message: WorkMessage<T>, reason: string) => void;
}

export type MessageOutcome =
  | { readonly id: string; readonly result: 'processed' | 'parked' }
  | { readonly id: string; readonly result: 'retried'; readonly dueAt: Date };

const DEFAULT_BATCH_SIZE = 16;
const DEFAULT_CONCURRENCY = 4;

/**
 * Runs the handler on a message: completed on success, retried later on failure while attempts
 * are left, parked with the reason on the last attempt. Queue errors (complete, retry, park) are
 * not swallowed.
 */
async function handleMessage<T>(queue: WorkQueue<T>, handler: WorkHandler<T>, message: WorkMessage<T>, options: ProcessOptions<T>): Promise<MessageOutcome> {
  try {
    await handler(message.body, message);
  } catch (thrown) {
    const error = asError(thrown);
    if (message.attempt < options.maxAttempts) {
      return { id: message.id, result: 'retried', dueAt: await queue.retryLater(message, error) };
    }
    const reason = parkReason(error, message.attempt, options.maxAttempts);
    await queue.park(message, reason);
    options.onParked?.(message, reason);
    return { id: message.id, result: 'parked' };
  }
  await queue.complete(message);
  return { id: message.id, result: 'processed' };
}

export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

export interface DrainOptions<T> extends ProcessOptions<T> {
  /** Keep waiting for messages in backoff that are due within this many seconds (default 60). */
  readonly waitForRetriesWithinSeconds?: number;
}

export interface DrainResult {
  readonly batches: number;
  readonly processed: number;
  /** Failed attempts that were retried (a message failing twice counts twice). */
  readonly failed: number;
  readonly parked: number;
  /** Messages left in the queue, in a backoff that ends after the wait window. */
  readonly deferred: number;
}

const POLL_INTERVAL_MS = 250;
// Storage visibility and Service Bus scheduling are not to the millisecond: a retry not seen this
// long after it was due was handled by another worker.
const OVERDUE_GRACE_MS = 5_000;

/**
 * Runs the handler on every message until the queue is empty: used to run a pipeline stage to
 * completion locally. Messages in backoff keep the queue "not empty" only if they are due within
 * the wait window.
 */
export async function drainQueue<T>(queue: WorkQueue<T>, handler: WorkHandler<T>, options: DrainOptions<T>): Promise<DrainResult> {
  const waitWindowMs = (options.waitForRetriesWithinSeconds ?? 60) * 1000;
  const retriesDue = new Map<string, number>();
  const totals = { batches: 0, processed: 0, failed: 0, parked: 0 };
  const onOutcome = (outcome: MessageOutcome) => {
    if (outcome.result === 'retried') {
      totals.failed += 1;
      retriesDue.set(outcome.id, outcome.dueAt.getTime());
    } else {
      totals[outcome.result] += 1;
      retriesDue.delete(outcome.id);
    }
  };
  for (;;) {
    totals.batches += await handleUntilEmpty(queue, handler, options, onOutcome);
    const waitMs = nextRetryWait(retriesDue, Date.now());
    if (waitMs > waitWindowMs) return { ...totals, deferred: retriesDue.size };
    await sleep(Math.max(waitMs, POLL_INTERVAL_MS));
  }
}

/**
 * Keeps `concurrency` handlers busy until a receive finds the queue empty: a handler that
 * finishes takes the next received message, and the next batch is received as the last one runs
 * out, so the stage does not wait for a batch's slowest message. Returns the batches received.
 */
async function handleUntilEmpty<T>(queue: WorkQueue<T>, handler: WorkHandler<T>, options: ProcessOptions<T>, onOutcome: (outcome: MessageOutcome) => void): Promise<number> {
  const received: WorkMessage<T>[] = [];
  let batches = 0;
  let empty = false;
  let receiving: Promise<void> | undefined;
  const receive = async () => {
    const messages = await queue.receive(options.max ?? DEFAULT_BATCH_SIZE, options.visibilityTimeoutSeconds);
    if (messages.length === 0) empty = true;
    else batches += 1;
    received.push(...messages);
  };
  const next = async (): Promise<WorkMessage<T> | undefined> => {
    while (received.length === 0 && !empty) await (receiving ??= receive().finally(() => (receiving = undefined)));
    return received.shift();
  };
  await Promise.all(
    Array.from({ length: options.concurrency ?? DEFAULT_CONCURRENCY }, async () => {
      for (let message = await next(); message; message = await next()) onOutcome(await handleMessage(queue, handler, message, options));
    }),
  );
  return batches;
}

/** Milliseconds until the soonest retry (Infinity when none), forgetting retries long overdue. */
function nextRetryWait(retriesDue: Map<string, number>, now: number): number {
  for (const [id, dueAt] of retriesDue) if (dueAt < now - OVERDUE_GRACE_MS) retriesDue.delete(id);
  return Math.min(...[...retriesDue.values()].map((dueAt) => dueAt - now));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
