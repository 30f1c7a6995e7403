import type { Config } from '../config/config.js';
import type { OptionSpec } from './args.js';

export interface CommandIO {
  out(line: string): void;
  err(line: string): void;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: OptionSpec;
  readonly positionals?: number;
  /** Options are validated by `prepare` before anything starts or is written. */
  prepare(values: Record<string, string | boolean | undefined>, positionals: readonly string[], config: Config): () => Promise<number>;
}
