import { startAzurite, type EmbeddedAzurite } from '../../lib/platform/azurite.js';
import { ensureStorageResources, storageFromConnectionString, type Storage } from '../../lib/platform/storage.js';

/** A fresh in-memory Azurite with the product's containers, tables and queues. */
export async function startTestStorage(): Promise<{ azurite: EmbeddedAzurite; storage: Storage }> {
  const azurite = await startAzurite();
  const storage = storageFromConnectionString(azurite.connectionString);
  await ensureStorageResources(storage);
  return { azurite, storage };
}
