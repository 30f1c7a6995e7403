import { serveTasks } from '../platform/workerPool.js';
import { runTask, transferable, standardsOf, type ComputeResult, type ComputeTask, type ComputeWorkerData } from './compute.js';
import type { StaticStandards } from './silverPrepare.js';

/** A worker thread of pooledCompute: runs each task and moves its encoded files back. */
let standards: StaticStandards | undefined;

serveTasks<ComputeTask, ComputeResult>((task, data) => {
  const { config, piiKey } = data as ComputeWorkerData;
  return transferable(task, runTask(task, () => (standards ??= standardsOf(config, piiKey))));
});
