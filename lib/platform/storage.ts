import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import type { Config } from '../config/config.js';
import { CONTAINERS, QUEUES, TABLES, poisonQueueName } from './resources.js';

/** The product's handles on one storage account: blobs (the lake), tables (state), queues (work). */
export interface Storage {
  readonly blobs: BlobServiceClient;
  readonly queues: QueueServiceClient;
  container(name: string): ContainerClient;
  table(name: string): TableClient;
  /** Where the account is, safe to print (no keys). */
  readonly description: string;
}

export function credentialFor(config: Pick<Config, 'AZURE_CLIENT_ID'>): TokenCredential {
  return config.AZURE_CLIENT_ID ? new ManagedIdentityCredential({ clientId: config.AZURE_CLIENT_ID }) : new DefaultAzureCredential();
}

export function storageFromConnectionString(connectionString: string): Storage {
  const blobs = BlobServiceClient.fromConnectionString(connectionString);
  return {
    blobs,
    queues: QueueServiceClient.fromConnectionString(connectionString),
    container: (name) => blobs.getContainerClient(name),
    table: (name) => TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true }),
    description: blobs.url.replace(/\?.*$/, ''),
  };
}

export function storageFromAccount(account: string, credential: TokenCredential): Storage {
  const blobs = new BlobServiceClient(`https://${account}.blob.core.windows.net`, credential);
  return {
    blobs,
    queues: new QueueServiceClient(`https://${account}.queue.core.windows.net`, credential),
    container: (name) => blobs.getContainerClient(name),
    table: (name) => new TableClient(`https://${account}.table.core.windows.net`, name, credential),
    description: `https://${account}.blob.core.windows.net`,
  };
}

/** Creates the containers, tables and queues the product uses (idempotent). */
export async function ensureStorageResources(storage: Storage): Promise<void> {
  await Promise.all(Object.values(CONTAINERS).map((name) => storage.container(name).createIfNotExists()));
  // TableClient.createTable ignores "already exists".
  await Promise.all(Object.values(TABLES).map((name) => storage.table(name).createTable()));
  const queueNames = Object.values(QUEUES).flatMap((name) => [name, poisonQueueName(name)]);
  await Promise.all(queueNames.map((name) => storage.queues.getQueueClient(name).createIfNotExists()));
}

/** Storage named by configuration: a managed-identity account in Azure, else a connection string. */
export function configuredStorage(config: Pick<Config, 'LAKE_STORAGE_ACCOUNT' | 'LAKE_STORAGE_CONNECTION_STRING' | 'AZURE_CLIENT_ID'>): Storage | undefined {
  if (config.LAKE_STORAGE_ACCOUNT) return storageFromAccount(config.LAKE_STORAGE_ACCOUNT, credentialFor(config));
  if (config.LAKE_STORAGE_CONNECTION_STRING) return storageFromConnectionString(config.LAKE_STORAGE_CONNECTION_STRING);
  return undefined;
}
