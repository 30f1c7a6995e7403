import { existsSync } from 'node:fs';
import path from 'node:path';

const HERE = import.meta.dirname;

/**
 * Path of a reference table shipped in lib/standards. tsc copies no CSV files, so code compiled
 * to dist/lib/standards reads the source tree's copy unless the package put one beside it.
 */
export function shippedDataFile(name: string): string {
  const besideModule = path.join(HERE, name);
  if (existsSync(besideModule)) return besideModule;
  const inSourceTree = path.resolve(HERE, '../../../lib/standards', name);
  if (existsSync(inSourceTree)) return inSourceTree;
  throw new Error(`shipped reference table ${name} is missing: looked in ${HERE} and ${path.dirname(inSourceTree)}`);
}
