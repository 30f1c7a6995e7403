import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';

/** Entities per entity-group transaction: Table storage's limit. */
const TRANSACTION_LIMIT = 100;

/**
 * Upserts (replace) entities of one partition in entity-group transactions of up to 100: one
 * request per hundred instead of one each. Every entity must have `partitionKey`.
 */
export async function upsertPartitionEntities(table: TableClient, entities: readonly TableEntity[]): Promise<void> {
  const partitions = new Set(entities.map((entity) => entity.partitionKey));
  if (partitions.size > 1) throw new Error(`upsertPartitionEntities: one partition per call (got ${[...partitions].join(', ')})`);
  const chunks: TransactionAction[][] = [];
  for (let i = 0; i < entities.length; i += TRANSACTION_LIMIT) {
    chunks.push(entities.slice(i, i + TRANSACTION_LIMIT).map((entity): TransactionAction => ['upsert', entity, 'Replace']));
  }
  await Promise.all(chunks.map((actions) => table.submitTransaction(actions)));
}
