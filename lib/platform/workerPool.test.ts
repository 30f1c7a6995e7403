import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool, workerScript } from './workerPool.js';

type Task = { kind: 'sum'; bytes: Uint8Array } | { kind: 'throw' } | { kind: 'exit' } | { kind: 'answerThenExit' } | { kind: 'slow'; ms: number };
interface Answer {
  readonly sum: number;
  readonly thread: number;
}

let dir: string;
let script: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'worker-pool-'));
  script = path.join(dir, 'worker.mjs');
  // The worker side as built (npm test builds first): serveTasks from dist.
  const serve = pathToFileURL(workerScript(import.meta.url, 'workerPool')).href;
  writeFileSync(
    script,
    `import { threadId } from 'node:worker_threads';
import { serveTasks } from ${JSON.stringify(serve)};
serveTasks((task) => {
  if (task.kind === 'throw') throw new RangeError('column n, row 3: not a number');
  if (task.kind === 'exit') process.exit(3);
  if (task.kind === 'answerThenExit') { setTimeout(() => process.exit(4), 10); return { result: { sum: 0, thread: threadId } }; }
  if (task.kind === 'slow') { const until = Date.now() + task.ms; while (Date.now() < until); return { result: { sum: 0, thread: threadId } }; }
  const out = new Float64Array([task.bytes.reduce((a, b) => a + b, 0)]);
  return { result: { sum: out[0], thread: threadId, out }, transfer: [out.buffer] };
});
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pool of `size` test workers, closed after `use` whatever happens. */
async function withPool(size: number, use: (pool: WorkerPool<Task, Answer>) => Promise<void>): Promise<void> {
  const pool = new WorkerPool<Task, Answer>(script, size, null);
  try {
    await use(pool);
  } finally {
    await pool.close();
  }
}

describe('WorkerPool', () => {
  it('runs tasks on at most `size` threads, moving transferred input buffers out of the caller', async () => {
    await withPool(2, async (pool) => {
      const inputs = Array.from({ length: 6 }, (_, i) => new Uint8Array([i, i, 1]));
      const answers = await Promise.all(inputs.map((bytes) => pool.run({ kind: 'sum', bytes }, [bytes.buffer as ArrayBuffer])));
      expect(answers.map((a) => a.sum)).toEqual([1, 3, 5, 7, 9, 11]);
      expect(new Set(answers.map((a) => a.thread)).size).toBeLessThanOrEqual(2);
      expect(inputs.every((bytes) => bytes.byteLength === 0)).toBe(true);
    });
  });

  it('rejects a task with the error the worker threw, and goes on with the next', async () => {
    await withPool(1, async (pool) => {
      const failed = pool.run({ kind: 'throw' });
      await expect(failed).rejects.toThrow('column n, row 3: not a number');
      await expect(failed).rejects.toMatchObject({ name: 'RangeError' });
      expect((await pool.run({ kind: 'sum', bytes: new Uint8Array([2, 2]) })).sum).toBe(4);
    });
  });

  it('fails the task of a worker that dies and replaces the worker for the tasks queued behind it', async () => {
    await withPool(1, async (pool) => {
      const dying = pool.run({ kind: 'exit' });
      const queued = pool.run({ kind: 'sum', bytes: new Uint8Array([5]) });
      await expect(dying).rejects.toThrow('worker exited with code 3');
      expect((await queued).sum).toBe(5);
    });
  });

  it('drops a worker that exits while idle, so the next task goes to a new one', async () => {
    await withPool(1, async (pool) => {
      const first = await pool.run({ kind: 'answerThenExit' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const next = await pool.run({ kind: 'sum', bytes: new Uint8Array([3, 4]) });
      expect(next.sum).toBe(7);
      expect(next.thread).not.toBe(first.thread);
    });
  });

  it('refuses work once closed, failing the tasks still waiting', async () => {
    const pool = new WorkerPool<Task, Answer>(script, 1, null);
    const running = pool.run({ kind: 'slow', ms: 300 });
    const waiting = pool.run({ kind: 'sum', bytes: new Uint8Array([1]) });
    const closing = pool.close();
    await expect(waiting).rejects.toThrow('closed');
    await expect(running).rejects.toThrow();
    await closing;
    await expect(pool.run({ kind: 'sum', bytes: new Uint8Array([1]) })).rejects.toThrow('closed');
  });
});
