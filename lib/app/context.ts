import { loadConfig, type Config } from '../config/config.js';
import { Lake } from '../lake/lake.js';
import { CONTAINERS, TABLES } from '../platform/resources.js';
import { configuredStorage, type Storage } from '../platform/storage.js';
import { ModelCache } from '../serving/modelCache.js';
import { openSource } from '../sources/index.js';
import type { LimsSource } from '../sources/source.js';
import { inlineCompute, pooledCompute, type PipelineCompute } from '../pipeline/compute.js';
import { resolvePiiKey } from '../standards/index.js';
import { DqReportStore } from '../state/dqReports.js';
import { DataHorizon } from '../state/horizon.js';
import { ModelRegistry } from '../registry/registry.js';
import { RunLedger } from '../state/runs.js';
import { WatermarkStore } from '../state/watermarks.js';

/** Everything a function handler needs, built once per process (per Functions instance). */
export interface AppContext {
  readonly config: Config;
  readonly storage: Storage;
  readonly lake: Lake;
  readonly watermarks: WatermarkStore;
  readonly ledger: RunLedger;
  readonly dqReports: DqReportStore;
  readonly horizon: DataHorizon;
  /** Project-local folder (embedded default): the simulated LIMS, the e-mail outbox, report copies. */
  readonly localDataDir: string;
  /** The model registry (versions in the models container, aliases and audit in tables). */
  registry(): ModelRegistry;
  /** The pipeline's CPU-heavy work (silver units, gold days) on WORKER_THREADS threads, started on first use. */
  compute(): PipelineCompute;
  /** The LIMS source, opened on first use and reused (one SQL pool per instance). */
  source(): LimsSource;
  /** The production model this instance serves: loaded on first use, swapped when the alias moves. */
  models(): ModelCache;
  close(): Promise<void>;
}

export function createAppContext(config: Config, storage: Storage, localDataDir?: string, log?: (line: string) => void): AppContext {
  let source: LimsSource | undefined;
  let compute: PipelineCompute | undefined;
  let models: ModelCache | undefined;
  let registry: ModelRegistry | undefined;
  return {
    config,
    storage,
    lake: new Lake(storage.container(CONTAINERS.lake), config.KEY_INDEX_CACHE_KEYS),
    watermarks: new WatermarkStore(storage.table(TABLES.watermarks), storage.container(CONTAINERS.lake)),
    ledger: new RunLedger(storage.table(TABLES.runs)),
    dqReports: new DqReportStore(storage.table(TABLES.dqReports)),
    horizon: new DataHorizon(storage.table(TABLES.watermarks)),
    localDataDir: localDataDir ?? config.LOCAL_DATA_DIR,
    registry: () => (registry ??= new ModelRegistry(storage.container(CONTAINERS.models), storage.table(TABLES.modelAliases), storage.table(TABLES.modelAudit))),
    compute: () => (compute ??= computeOf(config, resolvePiiKey(config, localDataDir))),
    source: () => (source ??= openSource(config, localDataDir)),
    models() {
      return (models ??= new ModelCache(this.registry(), { checkIntervalMs: config.MODEL_ALIAS_CHECK_SECONDS * 1000, ...(log ? { log } : {}) }));
    },
    close: async () => {
      await source?.close();
      source = undefined;
      await models?.close();
      models = undefined;
      await compute?.close();
      compute = undefined;
    },
  };
}

function computeOf(config: Config, piiKey: Buffer): PipelineCompute {
  return config.WORKER_THREADS > 0 ? pooledCompute(config.WORKER_THREADS, { config, piiKey }) : inlineCompute(config, piiKey);
}

let shared: AppContext | undefined;

/** The Azure Functions instance's context, from app settings; storage must be configured there. */
export function hostedAppContext(): AppContext {
  if (shared) return shared;
  const config = loadConfig();
  const storage = configuredStorage(config);
  if (!storage) throw new Error('Setting LAKE_STORAGE_ACCOUNT is required in Azure (the embedded Azurite is for the CLI only).');
  shared = createAppContext(config, storage);
  return shared;
}
