import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';

/**
 * CPU-heavy pure work on worker threads, so one process keeps every core busy while its main
 * thread does the I/O. Tasks wait for the first free worker; workers start on first use, hold
 * the process open only while they work, and a worker that dies fails its task and is replaced.
 */
export class WorkerPool<In, Out> {
  private readonly idle: Worker[] = [];
  private readonly waiting: { input: In; transfer: readonly ArrayBuffer[]; settle: Settle<Out> }[] = [];
  private readonly all = new Set<Worker>();
  private closed = false;

  constructor(
    private readonly script: string,
    readonly size: number,
    private readonly data: unknown,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`WorkerPool: size must be a positive whole number (got ${size})`);
  }

  /** Runs one task; `transfer` lists input buffers handed over to the worker (unusable here after). */
  run(input: In, transfer: readonly ArrayBuffer[] = []): Promise<Out> {
    if (this.closed) return Promise.reject(new Error('WorkerPool: closed'));
    return new Promise<Out>((resolve, reject) => {
      this.waiting.push({ input, transfer, settle: { resolve, reject } });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.waiting.splice(0)) task.settle.reject(new Error('WorkerPool: closed'));
    await Promise.all([...this.all].map((worker) => worker.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const worker = this.idle.pop() ?? (this.all.size < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const task = this.waiting.shift()!;
      this.assign(worker, task.input, task.transfer, task.settle);
    }
  }

  private spawn(): Worker {
    const worker = new Worker(this.script, { workerData: this.data });
    worker.unref();
    this.all.add(worker);
    // One that exits while idle must not be handed a task it would never answer.
    worker.once('exit', () => {
      this.all.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
    });
    return worker;
  }

  private assign(worker: Worker, input: In, transfer: readonly ArrayBuffer[], settle: Settle<Out>): void {
    const done = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      worker.unref();
    };
    const onMessage = (reply: Reply<Out>): void => {
      done();
      this.idle.push(worker);
      if ('error' in reply) settle.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
      else settle.resolve(reply.result);
      this.dispatch();
    };
    const lost = (error: Error): void => {
      done();
      this.all.delete(worker);
      settle.reject(error);
      if (!this.closed) this.dispatch();
    };
    const onError = (error: Error): void => {
      lost(error);
      void worker.terminate();
    };
    const onExit = (code: number): void => lost(new Error(`WorkerPool: worker exited with code ${code} during a task`));
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    // Held open while it works: the caller may be awaiting nothing else.
    worker.ref();
    worker.postMessage(input, [...transfer]);
  }
}

interface Settle<Out> {
  resolve(value: Out): void;
  reject(error: Error): void;
}

type Reply<Out> = { result: Out } | { error: { name: string; message: string } };

/** What a task hands back, and the buffers of it to move rather than copy. */
export interface TaskResult<Out> {
  readonly result: Out;
  readonly transfer?: readonly ArrayBuffer[];
}

/** The worker side: answers each task the pool sends with `handle`'s result or its error. */
export function serveTasks<In, Out>(handle: (input: In, data: unknown) => TaskResult<Out>): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks: not running in a worker thread');
  port.on('message', (input: In) => {
    try {
      const { result, transfer = [] } = handle(input, workerData);
      port.postMessage({ result } satisfies Reply<Out>, [...transfer]);
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ error: { name, message } } satisfies Reply<Out>);
    }
  });
}

/**
 * The runnable file of a worker module next to `from`. Under the test runner the sources are
 * TypeScript, which a worker thread cannot load: the built copy in dist/ runs instead (`npm test`
 * builds first).
 */
export function workerScript(from: string, name: string): string {
  const here = path.dirname(fileURLToPath(from));
  const beside = path.join(here, `${name}.js`);
  if (existsSync(beside)) return beside;
  const root = path.resolve(here, '..', '..');
  const built = path.join(root, 'dist', path.relative(root, here), `${name}.js`);
  if (!existsSync(built)) throw new Error(`Worker ${name}.js not found beside ${here} nor in ${path.dirname(built)}: run npm run build`);
  return built;
}

/** A buffer that owns its memory whole, so it can be transferred (Node pools small Buffers). */
export function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : new Uint8Array(bytes);
}
