import type { ModelRegistry } from '../registry/registry.js';
import { loadModel, type LoadedModel } from './loadedModel.js';

/**
 * The production model for batch scoring: the alias is read on each call (one Table read), the
 * model is loaded once per version and kept while it stays production.
 */
export class ProductionModel {
  private loaded: { version: string; model: Promise<LoadedModel> } | undefined;

  constructor(private readonly registry: ModelRegistry) {}

  async current(): Promise<LoadedModel | undefined> {
    const alias = await this.registry.alias('production');
    if (!alias) return undefined;
    if (this.loaded?.version !== alias.version) {
      const model = loadModel(this.registry, alias.version);
      this.loaded = { version: alias.version, model };
      model.catch(() => {
        if (this.loaded?.model === model) this.loaded = undefined;
      });
    }
    return this.loaded.model;
  }
}
