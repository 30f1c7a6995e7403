import { SETTINGS, type SettingKey } from './settings.js';

/** `local.settings.sample.json` as the Functions host reads it, generated from the schema. */
export function sampleLocalSettings(): { IsEncrypted: false; Values: Record<string, string> } {
  const values: Record<string, string> = {
    // Host settings for a local Functions host; Flex Consumption sets its own in Azure.
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    FUNCTIONS_WORKER_RUNTIME: 'node',
  };
  for (const key of Object.keys(SETTINGS) as SettingKey[]) values[key] = SETTINGS[key].example;
  return { IsEncrypted: false, Values: values };
}

/** The README's configuration table rows, generated from the schema. */
export function settingsMarkdownTable(): string {
  const rows = (Object.keys(SETTINGS) as SettingKey[]).map((key) => {
    const s = SETTINGS[key];
    const fallback = s.example === '' ? '' : `\`${s.example}\``;
    const notes = [s.secret ? 'secret (Key Vault in Azure)' : '', s.localOnly ? 'local only' : ''].filter(Boolean).join(', ');
    return `| \`${key}\` | ${fallback} | ${s.description}${notes ? ` *(${notes})*` : ''} |`;
  });
  return ['| Setting | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}
