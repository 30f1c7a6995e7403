/**
 * The production model of one serving instance: loaded lazily on the first request (Flex
 * Consumption gives app initialization 30 s, and a model is not needed to start), then kept.
 *
 * Swaps: at most every `checkIntervalMs` a request starts a background read of the production
 * alias (one Table read). When the alias names another version, the new ONNX session and trees
 * are built and warmed in the background while requests keep using the old model; the new one
 * replaces it in one assignment, and the old session is released once the last request using
 * it has finished. No request waits for, or fails because of, a swap.
 */
import * as ort from 'onnxruntime-node';
import { FEATURE_NAMES, type FeatureName } from '../features/deviceFeatures.js';
import { parseModel, treeShap, type GbdtModel, type ShapExplanation } from '../ml/model.js';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../ml/onnx.js';
import type { ModelAlias, ModelCard, RiskThresholds } from '../registry/card.js';
import type { AliasRecord } from '../registry/registry.js';
import { compileShap } from './shap.js';

/** What the cache reads from the registry (ModelRegistry has these methods). */
export interface ModelSource {
  alias(alias: ModelAlias): Promise<AliasRecord | undefined>;
  card(version: string): Promise<ModelCard>;
  onnx(version: string): Promise<Uint8Array>;
  treesJson(version: string): Promise<string>;
}

export interface ServingModel {
  readonly version: string;
  readonly card: ModelCard;
  /** The trees (for TreeSHAP); the probability comes from the ONNX session. */
  readonly trees: GbdtModel;
  readonly session: ort.InferenceSession;
  /** Exact TreeSHAP of a row (float32 values) on the calibrated log-odds scale; see shap.ts. */
  readonly explain: (row: ArrayLike<number>, offset: number) => ShapExplanation;
  /** The request field that feeds each model input column, in model order. */
  readonly inputs: readonly FeatureName[];
  readonly thresholds: RiskThresholds;
  readonly loadedAt: string;
  /** Wall time from the first registry read to a warmed session. */
  readonly loadMs: number;
}

/** No version carries the production alias yet: the API answers 503 with what to do. */
export class NoProductionModel extends Error {
  constructor() {
    super('No production model yet: run `lims-mlops train` (or `lims-mlops run`) to train and register one; the first model is promoted.');
    this.name = 'NoProductionModel';
  }
}

/** The production model exists but could not be loaded (storage unreachable, broken files). */
export class ModelUnavailable extends Error {
  constructor(reason: string, options?: ErrorOptions) {
    super(`The production model could not be loaded (${reason}); retry shortly, and check the registry with GET /api/models.`, options);
    this.name = 'ModelUnavailable';
  }
}

/** A failed first load is answered from memory for this long, so traffic does not retry it per request. */
const FAILED_LOAD_RETRY_MS = 2_000;

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  // A tree ensemble over a handful of rows: threads cost more than they bring, and an
  // instance serves many requests concurrently anyway.
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

/** Reads a version from the registry and builds its ONNX session and trees, warmed by one run. */
export async function loadServingModel(source: ModelSource, version: string): Promise<ServingModel> {
  const started = performance.now();
  const [card, onnx, treesJson] = await Promise.all([source.card(version), source.onnx(version), source.treesJson(version)]);
  const trees = parseModel(treesJson);
  const compiled = compileShap(trees);
  const { medium, high } = card.thresholds;
  // The risk score interpolates between the thresholds: they must be ordered inside (0, 1).
  if (!(medium > 0 && medium < high && high < 1)) throw new Error(`Model ${version}: its card's thresholds must satisfy 0 < medium < high < 1 (medium ${medium}, high ${high}).`);
  const unknown = trees.featureNames.filter((name) => !(FEATURE_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`Model ${version} uses inputs the API does not accept (${unknown.join(', ')}); its features must be among ${FEATURE_NAMES.join(', ')}.`);
  }
  const session = await ort.InferenceSession.create(onnx, SESSION_OPTIONS);
  try {
    if (!session.inputNames.includes(ONNX_INPUT_NAME) || !session.outputNames.includes(ONNX_OUTPUT_NAME)) {
      throw new Error(`Model ${version}: the ONNX graph must take "${ONNX_INPUT_NAME}" and give "${ONNX_OUTPUT_NAME}" (has ${session.inputNames.join(', ')} -> ${session.outputNames.join(', ')}).`);
    }
    const width = trees.featureNames.length;
    await session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', new Float32Array(width), [1, width]) });
  } catch (error) {
    await session.release();
    throw error;
  }
  return {
    version,
    card,
    trees,
    session,
    explain: compiled ? (row, offset) => compiled.explain(row, offset) : (row, offset) => treeShap(trees, row, offset),
    inputs: trees.featureNames as FeatureName[],
    thresholds: card.thresholds,
    loadedAt: new Date().toISOString(),
    loadMs: performance.now() - started,
  };
}

interface Entry {
  readonly model: ServingModel;
  inFlight: number;
  retired: boolean;
  released: boolean;
}

export interface ModelCacheOptions {
  /** Minimum time between two reads of the production alias. */
  readonly checkIntervalMs: number;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
}

export interface ModelCacheStatus {
  readonly version: string;
  readonly loadedAt: string;
  readonly loadMs: number;
}

export class ModelCache {
  private entry: Entry | undefined;
  private loading: Promise<void> | undefined;
  private checking: Promise<void> | undefined;
  private lastCheck = 0;
  private closed = false;
  private failedLoad: { readonly error: ModelUnavailable; readonly until: number } | undefined;
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly source: ModelSource,
    private readonly options: ModelCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
  }

  /**
   * Runs `work` with the current production model (loading it on first use). A swap that
   * happens meanwhile does not affect `work`: its model stays usable until `work` ends.
   */
  async use<T>(work: (model: ServingModel) => Promise<T>): Promise<T> {
    if (!this.entry) await this.firstLoad();
    // From here to inFlight++ nothing awaits, so the entry cannot be released in between.
    const entry = this.entry as Entry;
    this.maybeCheck();
    entry.inFlight++;
    try {
      return await work(entry.model);
    } finally {
      entry.inFlight--;
      if (entry.retired && entry.inFlight === 0) this.release(entry);
    }
  }

  /** The loaded model, if any (no registry read). */
  status(): ModelCacheStatus | null {
    const model = this.entry?.model;
    return model ? { version: model.version, loadedAt: model.loadedAt, loadMs: model.loadMs } : null;
  }

  /**
   * Reads the alias now and swaps if it moved (after a promote or rollback on this instance);
   * errors are logged, the current model stays.
   */
  async refresh(): Promise<void> {
    if (!this.entry) return;
    await this.checking;
    this.lastCheck = this.now();
    this.checking = this.check().finally(() => (this.checking = undefined));
    await this.checking;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.checking;
    await this.loading?.catch(() => undefined);
    const entry = this.entry;
    this.entry = undefined;
    if (entry) {
      entry.retired = true;
      if (entry.inFlight === 0) this.release(entry);
    }
  }

  private firstLoad(): Promise<void> {
    if (this.failedLoad && this.now() < this.failedLoad.until) return Promise.reject(this.failedLoad.error);
    this.loading ??= (async () => {
      let model: ServingModel;
      try {
        const alias = await this.source.alias('production');
        if (!alias) throw new NoProductionModel();
        model = await loadServingModel(this.source, alias.version);
      } catch (error) {
        if (error instanceof NoProductionModel) throw error;
        const reason = error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
        const unavailable = new ModelUnavailable(reason, { cause: error });
        this.failedLoad = { error: unavailable, until: this.now() + FAILED_LOAD_RETRY_MS };
        this.log(unavailable.message);
        throw unavailable;
      }
      this.failedLoad = undefined;
      if (this.closed) {
        await model.session.release();
        throw new Error('The model cache is closed.');
      }
      this.entry = { model, inFlight: 0, retired: false, released: false };
      this.lastCheck = this.now();
      this.log(`serving model ${model.version} (loaded in ${Math.round(model.loadMs)} ms)`);
    })().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private maybeCheck(): void {
    if (this.checking || this.closed || this.now() - this.lastCheck < this.options.checkIntervalMs) return;
    this.lastCheck = this.now();
    this.checking = this.check().finally(() => (this.checking = undefined));
  }

  private async check(): Promise<void> {
    try {
      const alias = await this.source.alias('production');
      const current = this.entry?.model.version;
      if (!alias || alias.version === current || this.closed) return;
      const model = await loadServingModel(this.source, alias.version);
      if (this.closed) {
        await model.session.release();
        return;
      }
      const old = this.entry;
      this.entry = { model, inFlight: 0, retired: false, released: false };
      this.log(`serving model ${model.version} instead of ${current ?? 'none'} (loaded in ${Math.round(model.loadMs)} ms)`);
      if (old) {
        old.retired = true;
        if (old.inFlight === 0) this.release(old);
      }
    } catch (error) {
      this.log(`model alias check failed; still serving ${this.entry?.model.version ?? 'nothing'}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private release(entry: Entry): void {
    if (entry.released) return;
    entry.released = true;
    entry.model.session.release().catch((error: unknown) => this.log(`releasing the session of ${entry.model.version} failed: ${String(error)}`));
  }
}
