/**
 * `npm run infra:settings`: writes bicep/modules/appSettings.generated.bicep from the settings
 * schema. Run it after adding, removing or changing the default of a setting.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GENERATED_SETTINGS_FILE, appSettingsBicep } from './appSettings.js';

function repositoryRoot(): string {
  // Compiled to dist/infra/, run from the repository root by npm; fall back to the working directory.
  const candidate = path.resolve(import.meta.dirname, '..', '..');
  try {
    const pkg = JSON.parse(readFileSync(path.join(candidate, 'package.json'), 'utf8')) as { name?: string };
    if (pkg.name === 'lims-mlops') return candidate;
  } catch {
    // not the compiled layout
  }
  return process.cwd();
}

const file = path.join(repositoryRoot(), GENERATED_SETTINGS_FILE);
const text = appSettingsBicep();
let previous = '';
try {
  previous = readFileSync(file, 'utf8');
} catch {
  // first generation
}
if (previous === text) {
  console.log(`${GENERATED_SETTINGS_FILE} is up to date.`);
} else {
  writeFileSync(file, text);
  console.log(`wrote ${GENERATED_SETTINGS_FILE}`);
}
