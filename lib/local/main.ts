import { ConfigError, loadConfig } from '../config/config.js';
import { VERSION } from '../app/version.js';
import { UsageError, parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { detectCommand } from './commands/detect.js';
import { driftCommand, driftTestCommand } from './commands/drift.js';
import { evaluateCommand } from './commands/evaluate.js';
import { exportCommand } from './commands/export.js';
import { ingestCommand } from './commands/ingest.js';
import { modelsCommand, promoteCommand, rollbackCommand } from './commands/models.js';
import { predictCommand, trainCommand } from './commands/train.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { silverCommand } from './commands/silver.js';
import { simulateCommand } from './commands/simulate.js';
import { statusCommand } from './commands/status.js';

const COMMANDS: readonly Command[] = [
  runCommand,
  simulateCommand,
  ingestCommand,
  silverCommand,
  serveCommand,
  statusCommand,
  exportCommand,
  trainCommand,
  predictCommand,
  modelsCommand,
  promoteCommand,
  rollbackCommand,
  driftCommand,
  driftTestCommand,
  detectCommand,
  evaluateCommand,
  reportCommand,
];

function mainHelp(): string {
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return `lims-mlops ${VERSION}: MLOps pipeline for laboratory (LIMS) data

Usage: lims-mlops <command> [options]   (lims-mlops <command> --help for its options)

Commands:
${lines.join('\n')}

Settings come from environment variables (see README, local.settings.sample.json).`;
}

/** Exit codes: 0 done, 1 the work failed, 2 bad arguments or configuration (nothing written). */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    console.log(VERSION);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    const { values, positionals } = parseCommandArgs(command.name, rest, command.options, command.positionals ?? 0);
    if (values.help) {
      console.log(command.usage);
      return 0;
    }
    const config = loadConfig();
    const work = command.prepare(values, positionals, config);
    return await work();
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      console.error(`lims-mlops: ${error.message}`);
      return 2;
    }
    console.error(`lims-mlops ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
