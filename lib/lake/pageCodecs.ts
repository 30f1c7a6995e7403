import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants, gunzipSync } from 'node:zlib';

/**
 * Compression of Parquet pages. The lake writes Snappy: a page is written once and read about
 * once, so the codec's speed both ways matters more than the last third of the bytes, and Snappy
 * is the codec every Parquet reader an analyst may point at the lake reads (Spark, Synapse,
 * Fabric, Power BI, DuckDB, pyarrow). Brotli and Gzip pages (lakes written before, other writers'
 * files) are read too.
 */
export type PageCompression = 'none' | 'brotli' | 'snappy';

/** Parquet's CompressionCodec numbers. */
const enum Codec {
  UNCOMPRESSED = 0,
  SNAPPY = 1,
  GZIP = 2,
  BROTLI = 4,
}

const CODECS: Readonly<Record<PageCompression, Codec>> = { none: Codec.UNCOMPRESSED, brotli: Codec.BROTLI, snappy: Codec.SNAPPY };
const READABLE = new Set<number>(Object.values(CODECS).concat(Codec.GZIP));
const BROTLI_QUALITY = 1;

export function codecOf(compression: PageCompression): Codec {
  return CODECS[compression];
}

export function isReadableCodec(codec: number): boolean {
  return READABLE.has(codec);
}

export function compressPage(compression: PageCompression, body: Uint8Array): Uint8Array {
  switch (compression) {
    case 'none':
      return body;
    case 'brotli':
      return brotliCompressSync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length } });
    case 'snappy':
      return snappyCompress(body);
  }
}

/** A page's bytes as written. */
export function decompressPage(codec: number, stored: Uint8Array): Uint8Array {
  switch (codec) {
    case Codec.UNCOMPRESSED:
      return stored;
    case Codec.BROTLI:
      return brotliDecompressSync(stored);
    case Codec.GZIP:
      return gunzipSync(stored);
    case Codec.SNAPPY:
      return snappyUncompress(stored, { asBuffer: true }) as Buffer;
    default:
      throw new Error(`Parquet: codec ${codec} is not one this reader decompresses`);
  }
}
