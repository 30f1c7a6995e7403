import type { Config } from '../config/config.js';
import type { EncodedFile, KeyedFile, StoredFile } from '../lake/lake.js';
import { ownBuffer, WorkerPool, workerScript } from '../platform/workerPool.js';
import { loadLoincMap, loadRegionMap, patientIdHasher } from '../standards/index.js';
import { prepareGoldDay, type GoldDayInput, type PreparedGoldDay } from './goldDayPrepare.js';
import { prepareGoldFeatures, type GoldFeaturesInput, type PreparedFeatures } from './goldFeaturesPrepare.js';
import { prepareSilver, type PreparedSilver, type SilverInput, type StaticStandards } from './silverPrepare.js';

/**
 * The pipeline's CPU-heavy pure work: decoding, standardizing, checking, aggregating and encoding
 * a unit. On worker threads, a unit's stored files move to a worker and its encoded files move
 * back, so an instance uses its cores while its main thread reads, uploads and commits.
 */
export interface PipelineCompute {
  silver(input: SilverInput): Promise<PreparedSilver>;
  goldDay(input: GoldDayInput): Promise<PreparedGoldDay>;
  goldFeatures(input: GoldFeaturesInput): Promise<PreparedFeatures>;
  close(): Promise<void>;
}

export type ComputeTask =
  | { readonly kind: 'silver'; readonly input: SilverInput }
  | { readonly kind: 'gold-day'; readonly input: GoldDayInput }
  | { readonly kind: 'gold-features'; readonly input: GoldFeaturesInput };
export type ComputeResult = PreparedSilver | PreparedGoldDay | PreparedFeatures;

/** What each worker thread starts from (computeWorker.ts). */
export interface ComputeWorkerData {
  readonly config: Config;
  /** The patient-id HMAC key, resolved once by the main thread so every worker hashes alike. */
  readonly piiKey: Uint8Array;
}

export function standardsOf(config: Config, piiKey: Uint8Array): StaticStandards {
  return { loinc: loadLoincMap(config), regions: loadRegionMap(config), hashPatientId: patientIdHasher(Buffer.from(piiKey)) };
}

/** Runs a task where it is: the worker's dispatch, and the inline compute's. */
export function runTask(task: ComputeTask, standards: () => StaticStandards): ComputeResult {
  switch (task.kind) {
    case 'silver':
      return prepareSilver(task.input, standards());
    case 'gold-day':
      return prepareGoldDay(task.input);
    case 'gold-features':
      return prepareGoldFeatures(task.input);
  }
}

/** A task's result with its encoded files in buffers of their own, and those buffers: to move rather than copy back. */
export function transferable(task: ComputeTask, result: ComputeResult): { result: ComputeResult; transfer: ArrayBuffer[] } {
  if (task.kind === 'silver') {
    const silver = result as PreparedSilver;
    const partitions = silver.partitions.map(({ value, file }) => ({ value, file: ownedFile(file) }));
    return { result: { ...silver, partitions }, transfer: encodedBuffers(partitions.map((p) => p.file)) };
  }
  if (task.kind === 'gold-day') {
    const gold = result as PreparedGoldDay;
    const tables = gold.tables.map((entry) => ({ ...entry, files: entry.files.map(ownedFile) }));
    return { result: { ...gold, tables }, transfer: encodedBuffers(tables.flatMap((t) => t.files)) };
  }
  const days = (result as PreparedFeatures).days.map((day) => (day.file ? { ...day, file: ownedFile(day.file) } : day));
  return { result: { days }, transfer: encodedBuffers(days.flatMap((day) => (day.file ? [day.file] : []))) };
}

/** The buffers of encoded files (and of a keyed file's modified_at and key ends), to transfer between threads. */
function encodedBuffers(files: readonly EncodedFile[]): ArrayBuffer[] {
  return files.flatMap((file) => {
    const keyed = file as Partial<KeyedFile>;
    return [file.data, file.keysData, keyed.modifiedAt, keyed.keys?.ends].flatMap((bytes) => (bytes ? [bytes.buffer as ArrayBuffer] : []));
  });
}

/** Small encoded files may sit in Node's shared Buffer pool, which must not be transferred. */
function ownedFile<F extends EncodedFile>(file: F): F {
  return { ...file, data: ownBuffer(file.data), ...(file.keysData ? { keysData: ownBuffer(file.keysData) } : {}) };
}

/** Stored files whose bytes may be transferred (copied out of Node's shared pool where they sit in it). */
function ownStoredFiles(files: readonly StoredFile[]): StoredFile[] {
  return files.map((f) => ({ ...f, bytes: ownBuffer(f.bytes) }));
}

/** The work on the calling thread (WORKER_THREADS=0). */
export function inlineCompute(config: Config, piiKey: Uint8Array): PipelineCompute {
  let standards: StaticStandards | undefined;
  const run = (task: ComputeTask) => runTask(task, () => (standards ??= standardsOf(config, piiKey)));
  return {
    silver: async (input) => run({ kind: 'silver', input }) as PreparedSilver,
    goldDay: async (input) => run({ kind: 'gold-day', input }) as PreparedGoldDay,
    goldFeatures: async (input) => run({ kind: 'gold-features', input }) as PreparedFeatures,
    close: async () => {},
  };
}

/** The work on `threads` worker threads, started on first use. */
export function pooledCompute(threads: number, data: ComputeWorkerData): PipelineCompute {
  const pool = new WorkerPool<ComputeTask, ComputeResult>(workerScript(import.meta.url, 'computeWorker'), threads, data);
  const run = (task: ComputeTask, buffers: readonly Uint8Array[]) => pool.run(task, buffers.map((bytes) => bytes.buffer as ArrayBuffer));
  return {
    silver: (input) => {
      const owned = { ...input, files: input.files.map(ownBuffer) };
      return run({ kind: 'silver', input: owned }, owned.files) as Promise<PreparedSilver>;
    },
    goldDay: (input) => {
      const owned = { ...input, results: ownStoredFiles(input.results), logs: ownStoredFiles(input.logs), qc: input.qc.map(ownStoredFiles) };
      return run({ kind: 'gold-day', input: owned }, [...owned.results, ...owned.logs, ...owned.qc.flat()].map((f) => f.bytes)) as Promise<PreparedGoldDay>;
    },
    goldFeatures: (input) => {
      const daily = input.daily.map(({ day, files }) => ({ day, files: ownStoredFiles(files) }));
      return run({ kind: 'gold-features', input: { ...input, daily } }, daily.flatMap((d) => d.files.map((f) => f.bytes))) as Promise<PreparedFeatures>;
    },
    close: () => pool.close(),
  };
}
