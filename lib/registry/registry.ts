import { randomUUID } from 'node:crypto';
import { RestError, type TableClient } from '@azure/data-tables';
import { readBlob, readBlobText } from '../platform/blobs.js';
import type { ContainerClient } from '@azure/storage-blob';
import { invertedTime } from '../state/runs.js';
import type { ModelAlias, ModelCard } from './card.js';

/**
 * Model versions in Blob storage (`models/<name>/<version>/model.onnx` + `card.json`) with
 * aliases (`production`, `staging`) in Table storage. Every alias change is conditional on the
 * alias not having moved meanwhile, and is recorded in an audit table.
 */
export interface AliasRecord {
  readonly alias: ModelAlias;
  readonly version: string;
  readonly updatedAt: string;
  readonly etag: string;
}

export interface AuditRecord {
  readonly at: string;
  readonly alias: ModelAlias;
  readonly from: string | null;
  readonly to: string;
  readonly actor: string;
  readonly reason: string;
}

interface AliasEntity {
  partitionKey: string;
  rowKey: string;
  version: string;
  updatedAt: string;
}

interface AuditEntity {
  partitionKey: string;
  rowKey: string;
  at: string;
  alias: string;
  from: string;
  to: string;
  actor: string;
  reason: string;
}

export class AliasConflict extends Error {
  constructor(alias: string) {
    super(`Alias ${alias} changed while it was being moved; read it again and retry`);
    this.name = 'AliasConflict';
  }
}

export function newVersion(now = new Date()): string {
  return `v${now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${randomUUID().slice(0, 6)}`;
}

export class ModelRegistry {
  constructor(
    private readonly container: ContainerClient,
    private readonly aliases: TableClient,
    private readonly audit: TableClient,
    readonly modelName = 'device-failure',
  ) {}

  private path(version: string, file: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(version)) throw new Error(`Invalid model version "${version}"`);
    return `${this.modelName}/${version}/${file}`;
  }

  /**
   * Stores a version: the ONNX file (what serves), the trees as JSON (what explains, TreeSHAP),
   * then the card last: a version exists once its card does.
   */
  async register(card: ModelCard, onnx: Uint8Array, treesJson: string): Promise<void> {
    await this.container.getBlockBlobClient(this.path(card.version, 'model.onnx')).uploadData(onnx, { blobHTTPHeaders: { blobContentType: 'application/octet-stream' } });
    await this.container.getBlockBlobClient(this.path(card.version, 'model.json')).upload(treesJson, Buffer.byteLength(treesJson), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
    const body = JSON.stringify(card, null, 2);
    await this.container.getBlockBlobClient(this.path(card.version, 'card.json')).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
      conditions: { ifNoneMatch: '*' },
    });
  }

  async card(version: string): Promise<ModelCard> {
    try {
      return JSON.parse(await readBlobText(this.container.getBlobClient(this.path(version, 'card.json')))) as ModelCard;
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) throw new Error(`No model version ${version} in the registry`, { cause: error });
      throw error;
    }
  }

  async onnx(version: string): Promise<Uint8Array> {
    return readBlob(this.container.getBlobClient(this.path(version, 'model.onnx')));
  }

  /** The trees of a version as JSON (lib/ml/model.ts serializeModel format). */
  async treesJson(version: string): Promise<string> {
    return await readBlobText(this.container.getBlobClient(this.path(version, 'model.json')));
  }

  /** Registered versions, newest first. */
  async versions(): Promise<ModelCard[]> {
    const cards: ModelCard[] = [];
    for await (const blob of this.container.listBlobsFlat({ prefix: `${this.modelName}/` })) {
      if (blob.name.endsWith('/card.json')) cards.push(await this.card(blob.name.split('/')[1]!));
    }
    return cards.sort((a, b) => b.created.localeCompare(a.created));
  }

  async alias(alias: ModelAlias): Promise<AliasRecord | undefined> {
    try {
      const entity = await this.aliases.getEntity<AliasEntity>(this.modelName, alias);
      return { alias, version: entity.version, updatedAt: entity.updatedAt, etag: entity.etag };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /**
   * Points `alias` at `version`, only if the alias is still where `expected` says (undefined:
   * not set yet), and records the change in the audit table.
   */
  async setAlias(alias: ModelAlias, version: string, change: { actor: string; reason: string; expected: AliasRecord | undefined }): Promise<AliasRecord> {
    await this.card(version);
    const updatedAt = new Date().toISOString();
    const entity: AliasEntity = { partitionKey: this.modelName, rowKey: alias, version, updatedAt };
    try {
      if (change.expected) await this.aliases.updateEntity(entity, 'Replace', { etag: change.expected.etag });
      else await this.aliases.createEntity(entity);
    } catch (error) {
      if (error instanceof RestError && (error.statusCode === 412 || error.statusCode === 409)) throw new AliasConflict(alias);
      throw error;
    }
    const now = Date.now();
    await this.audit.createEntity<AuditEntity>({
      partitionKey: this.modelName,
      rowKey: `${invertedTime(now)}-${randomUUID().slice(0, 8)}`,
      at: new Date(now).toISOString(),
      alias,
      from: change.expected?.version ?? '',
      to: version,
      actor: change.actor,
      reason: change.reason,
    });
    const current = await this.alias(alias);
    if (!current) throw new Error(`Alias ${alias} vanished after it was set`);
    return current;
  }

  /** Alias changes, newest first. */
  async auditTrail(limit = 50): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    for await (const entity of this.audit.listEntities<AuditEntity>({ queryOptions: { filter: `PartitionKey eq '${this.modelName}'` } })) {
      records.push({ at: entity.at, alias: entity.alias as ModelAlias, from: entity.from || null, to: entity.to, actor: entity.actor, reason: entity.reason });
      if (records.length >= limit) break;
    }
    return records;
  }
}
