import type { Config } from '../config/config.js';
import type { CommandIO } from './command.js';
import { startLocalPlatform, type LocalPlatform } from './platform.js';

/** Runs `work` with the local platform up, and always stops it (also on Ctrl-C). */
export async function withPlatform<T>(config: Config, io: CommandIO, work: (platform: LocalPlatform) => Promise<T>): Promise<T> {
  const platform = await startLocalPlatform(config, io.err);
  const onSignal = (): void => {
    io.err('Interrupted; stopping...');
    void platform.stop().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work(platform);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await platform.stop();
  }
}

export function formatTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows.map((row) => row.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US') : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => String(row[i] ?? '').length)));
  return cells
    .map((row) => row.map((c, i) => (typeof rows[0]?.[i] === 'number' ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  '))
    .join('\n');
}
