import path from 'node:path';
import { createAppContext, type AppContext } from '../app/context.js';
import type { Config } from '../config/config.js';
import { startAzurite, type EmbeddedAzurite } from '../platform/azurite.js';
import { configuredStorage, ensureStorageResources, storageFromConnectionString } from '../platform/storage.js';

export interface LocalPlatform {
  readonly ctx: AppContext;
  /** Present when the embedded Azurite was started for this process. */
  readonly azurite?: EmbeddedAzurite;
  stop(): Promise<void>;
}

/**
 * Storage for the CLI: the configured account, or (none configured) an embedded Azurite with
 * its data in the project-local folder; then the containers, tables and queues are ensured.
 */
export async function startLocalPlatform(config: Config, log: (line: string) => void): Promise<LocalPlatform> {
  const dataDir = path.resolve(config.LOCAL_DATA_DIR);
  let storage = configuredStorage(config);
  let azurite: EmbeddedAzurite | undefined;
  if (!storage) {
    log(`Starting the embedded Azurite (data in ${path.join(dataDir, 'azurite')})...`);
    azurite = await startAzurite({ location: path.join(dataDir, 'azurite') });
    storage = storageFromConnectionString(azurite.connectionString);
  }
  await ensureStorageResources(storage);
  const ctx = createAppContext(config, storage, dataDir);
  let stopped = false;
  return {
    ctx,
    azurite,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await ctx.close();
      await azurite?.stop();
    },
  };
}
