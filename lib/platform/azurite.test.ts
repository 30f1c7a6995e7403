import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { startAzurite } from './azurite.js';

describe('embedded Azurite', () => {
  it('starts on free ports, serves blobs and stops', async () => {
    const azurite = await startAzurite();
    try {
      const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
      const container = blobs.getContainerClient('probe');
      await container.create();
      await container.getBlockBlobClient('a.txt').upload('hello', 5);
      const text = (await container.getBlobClient('a.txt').downloadToBuffer()).toString();
      expect(text).toBe('hello');
    } finally {
      await azurite.stop();
    }
  });
});
