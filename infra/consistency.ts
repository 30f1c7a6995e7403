/**
 * Checks that the Bicep templates create and configure everything the code names: settings,
 * containers, tables, queues and their poison queues, Service Bus topics and subscriptions, timer
 * schedules, queue triggers and host connections. The code's lists come in as data (the tests pass
 * SETTINGS, CONTAINERS, TABLES, QUEUES and CATALOG as they are at test time), the templates as text,
 * so that a test can also show that a name added to the code alone is reported.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface SettingInfo {
  readonly secret: boolean;
  readonly localOnly: boolean;
  readonly example: string;
}

/** What the code names. */
export interface CodeInventory {
  readonly settings: Readonly<Record<string, SettingInfo>>;
  readonly containers: readonly string[];
  readonly tables: readonly string[];
  readonly queues: readonly string[];
  readonly poisonQueueName: (queue: string) => string;
  readonly topics: readonly string[];
  /** Topic subscriptions, with the queue a subscription auto-forwards to. */
  readonly subscriptions: readonly { readonly topic: string; readonly name: string; readonly forwardTo?: string }[];
  /** Timer functions and the setting that holds their schedule. */
  readonly timers: readonly { readonly name: string; readonly setting: string }[];
  /** Queue-triggered functions and their queue. */
  readonly queueTriggers: readonly { readonly name: string; readonly queue: string }[];
  /** Host connections of the triggers (functions/index.ts). */
  readonly connections: readonly { readonly name: string; readonly kind: 'storage' | 'servicebus' }[];
  /** Settings filled from main.bicep deploymentValues (infra/appSettings.ts FROM_DEPLOYMENT). */
  readonly fromDeployment: Readonly<Record<string, string | undefined>>;
}

/** The templates and documents, as text. */
export interface InfraTexts {
  readonly main: string;
  readonly generatedSettings: string;
  readonly functionApp: string;
  readonly serviceBus: string;
  /** Parameter files by name (main.dev.bicepparam, ...). */
  readonly parameterFiles: Readonly<Record<string, string>>;
  readonly sampleSettings?: string;
  readonly readme?: string;
  /** What `npm run infra:settings` would write now; compared with generatedSettings. */
  readonly expectedGeneratedSettings?: string;
}

export const BICEP_DIR = 'bicep';

export function readInfraTexts(root: string): InfraTexts {
  const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');
  const parameterFiles: Record<string, string> = {};
  for (const name of ['main.dev.bicepparam', 'main.prod.bicepparam']) parameterFiles[name] = read(path.join(BICEP_DIR, name));
  return {
    main: read('bicep/main.bicep'),
    generatedSettings: read('bicep/modules/appSettings.generated.bicep'),
    functionApp: read('bicep/modules/functionApp.bicep'),
    serviceBus: read('bicep/modules/serviceBus.bicep'),
    parameterFiles,
    sampleSettings: existsSync(path.join(root, 'local.settings.sample.json')) ? read('local.settings.sample.json') : undefined,
    readme: existsSync(path.join(root, 'README.md')) ? read('README.md') : undefined,
  };
}

// ------------------------------------------------------------------------------------------
// Reading Bicep text (the subset these templates use)
// ------------------------------------------------------------------------------------------

/** The text without `//` comments (a `//` inside a string literal is kept). */
export function stripComments(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      let inString = false;
      for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (c === '\\' && inString) {
          i++;
          continue;
        }
        if (c === "'") inString = !inString;
        if (!inString && c === '/' && line[i + 1] === '/') return line.slice(0, i);
      }
      return line;
    })
    .join('\n');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The string items of `var NAME = [ ... ]` or `param NAME array = [ ... ]` (multi-line form). */
export function bicepStringArray(text: string, name: string): string[] | undefined {
  const match = new RegExp(`^(?:var|param)\\s+${escapeRegExp(name)}(?:\\s+array)?\\s*=\\s*\\[\\s*\\n([\\s\\S]*?)^\\]`, 'm').exec(stripComments(text));
  if (!match) return undefined;
  return match[1]!
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => /^'([^']*)'$/.exec(line)?.[1] ?? `<not a string literal: ${line}>`);
}

/** The value of `var NAME = '...'`. */
export function bicepStringVar(text: string, name: string): string | undefined {
  return new RegExp(`^var\\s+${escapeRegExp(name)}\\s*=\\s*'([^']*)'\\s*$`, 'm').exec(stripComments(text))?.[1];
}

/** The top-level properties of `var|param|output NAME ... = { ... }` (multi-line form), with their value text. */
export function bicepObject(text: string, name: string): Map<string, string> | undefined {
  const match = new RegExp(`^(?:var|param|output)\\s+${escapeRegExp(name)}(?:\\s+object)?\\s*=\\s*\\{\\s*\\n([\\s\\S]*?)^\\}`, 'm').exec(stripComments(text));
  if (!match) return undefined;
  const properties = new Map<string, string>();
  for (const line of match[1]!.split('\n')) {
    const property = /^ {2}([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$/.exec(line);
    if (property) properties.set(property[1]!, property[2]!.trim());
  }
  return properties;
}

/** The `{ name, forwardTo }` items of `var topicSubscriptions = [ ... ]`. */
export function bicepSubscriptions(text: string): { name: string; forwardTo: string }[] | undefined {
  const match = /^var\s+topicSubscriptions\s*=\s*\[\s*\n([\s\S]*?)^\]/m.exec(stripComments(text));
  if (!match) return undefined;
  return [...match[1]!.matchAll(/\{\s*name:\s*'([^']*)'\s*forwardTo:\s*'([^']*)'\s*\}/g)].map((m) => ({ name: m[1]!, forwardTo: m[2]! }));
}

/** A single-quoted Bicep literal as text, or undefined for an expression. */
export function bicepLiteral(valueText: string): string | undefined {
  const match = /^'((?:[^'\\]|\\.)*)'$/.exec(valueText);
  if (!match) return undefined;
  return match[1]!.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

// ------------------------------------------------------------------------------------------
// Azure naming rules of the storage resources
// ------------------------------------------------------------------------------------------

const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const QUEUE_NAME = CONTAINER_NAME;
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;
/** Settings Flex Consumption rejects or ignores (Functions app settings reference, "Flex Consumption plan deprecations"). */
export const FLEX_FORBIDDEN_SETTINGS = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_WORKER_RUNTIME_VERSION',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_TIME_ZONE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
];

// ------------------------------------------------------------------------------------------
// The check
// ------------------------------------------------------------------------------------------

function missing(have: readonly string[] | undefined, want: readonly string[]): string[] {
  const set = new Set(have ?? []);
  return want.filter((w) => !set.has(w));
}

/**
 * Every way the templates fall short of the code, one line each (empty when they agree). Each
 * line names the thing and where to fix it.
 */
export function checkInfrastructure(code: CodeInventory, infra: InfraTexts): string[] {
  const problems: string[] = [];
  const settingKeys = Object.keys(code.settings);
  const azureKeys = settingKeys.filter((k) => !code.settings[k]!.localOnly);
  const secretKeys = azureKeys.filter((k) => code.settings[k]!.secret);

  // Settings -> generated app settings.
  const defaults = bicepObject(infra.generatedSettings, 'defaults');
  const secrets = bicepObject(infra.generatedSettings, 'secrets');
  if (!defaults || !secrets) {
    problems.push('bicep/modules/appSettings.generated.bicep: no `var defaults` / `var secrets` object (run `npm run infra:settings`)');
  } else {
    const generated = new Set([...defaults.keys(), ...secrets.keys()]);
    for (const key of azureKeys) {
      if (!generated.has(key)) problems.push(`setting ${key} is not an app setting in the Bicep (run \`npm run infra:settings\`)`);
    }
    for (const key of settingKeys.filter((k) => code.settings[k]!.localOnly)) {
      if (generated.has(key)) problems.push(`setting ${key} is local-only but the Bicep sets it in Azure (run \`npm run infra:settings\`)`);
    }
    for (const key of generated) {
      if (!(key in code.settings)) problems.push(`the Bicep sets ${key}, which lib/config/settings.ts no longer defines (run \`npm run infra:settings\`)`);
    }
    for (const key of secretKeys) {
      if (defaults.has(key)) problems.push(`secret setting ${key} has a plain value in the Bicep instead of a Key Vault reference`);
      const value = secrets.get(key);
      if (value !== undefined && !value.includes('@Microsoft.KeyVault(SecretUri=')) problems.push(`secret setting ${key} is not a Key Vault reference in the Bicep`);
    }
  }
  if (infra.expectedGeneratedSettings !== undefined && infra.expectedGeneratedSettings !== infra.generatedSettings) {
    problems.push('bicep/modules/appSettings.generated.bicep differs from the settings schema (run `npm run infra:settings`)');
  }

  // Settings filled from the deployment must be values main.bicep provides.
  const deploymentValues = bicepObject(infra.main, 'deploymentValues');
  for (const [setting, fact] of Object.entries(code.fromDeployment)) {
    // An entry for a setting the schema does not define (yet) is ignored by the generator.
    if (fact === undefined || !(setting in code.settings)) continue;
    if (!deploymentValues?.has(fact)) problems.push(`setting ${setting} takes deploymentValues.${fact}, which bicep/main.bicep does not define`);
  }

  // Settings -> local.settings.sample.json and the README table.
  if (infra.sampleSettings !== undefined) {
    const values = (JSON.parse(infra.sampleSettings) as { Values?: Record<string, string> }).Values ?? {};
    for (const key of settingKeys) if (!(key in values)) problems.push(`setting ${key} is missing from local.settings.sample.json (run \`npm run settings:sample\`)`);
  }
  if (infra.readme !== undefined) {
    for (const key of settingKeys) {
      if (!infra.readme.includes(`| \`${key}\` |`)) problems.push(`setting ${key} is missing from the README settings table (run \`npm run settings:sample\`)`);
    }
  }

  // Parameter files: overrides name real, non-secret settings; every secret can be supplied.
  for (const [file, text] of Object.entries(infra.parameterFiles)) {
    const overrides = bicepObject(text, 'settingOverrides');
    for (const key of overrides?.keys() ?? []) {
      const setting = code.settings[key];
      if (!setting) problems.push(`bicep/${file}: settingOverrides.${key} is not a setting`);
      else if (setting.secret) problems.push(`bicep/${file}: secret ${key} belongs in secretValues, not settingOverrides`);
      else if (setting.localOnly) problems.push(`bicep/${file}: ${key} is local-only and is never set in Azure`);
    }
    const secretValues = bicepObject(text, 'secretValues');
    for (const key of secretKeys) {
      if (!secretValues?.has(key)) problems.push(`bicep/${file}: secret setting ${key} is missing from secretValues (readEnvironmentVariable('${key}', ''))`);
    }
  }

  // Storage resources.
  const containers = bicepStringArray(infra.main, 'lakeContainers');
  const tables = bicepStringArray(infra.main, 'lakeTables');
  const workQueues = bicepStringArray(infra.main, 'workQueues');
  for (const name of missing(containers, code.containers)) problems.push(`blob container ${name} (lib/platform/resources.ts) is not created by bicep/main.bicep lakeContainers`);
  for (const name of missing(tables, code.tables)) problems.push(`table ${name} (lib/platform/resources.ts) is not created by bicep/main.bicep lakeTables`);
  for (const name of missing(workQueues, code.queues)) problems.push(`queue ${name} (lib/platform/resources.ts) is not created by bicep/main.bicep workQueues`);
  const suffix = bicepStringVar(infra.main, 'poisonQueueSuffix');
  const mainCode = stripComments(infra.main);
  const poisonFromWorkQueues = /var\s+storageQueues\s*=\s*flatten\(map\(workQueues,\s*q\s*=>\s*\[\s*q\s+'\$\{q\}\$\{poisonQueueSuffix\}'\s*\]\)\)/.test(mainCode);
  for (const queue of code.queues) {
    const poison = code.poisonQueueName(queue);
    if (suffix === undefined || !poisonFromWorkQueues || poison !== `${queue}${suffix}` || !(workQueues ?? []).includes(queue)) {
      problems.push(`poison queue ${poison} (lib/platform/resources.ts poisonQueueName) is not created by bicep/main.bicep storageQueues`);
    }
  }
  if (!/module\s+lakeStorage\s+'modules\/storageAccount\.bicep'[\s\S]*?queues:\s*storageQueues/.test(mainCode)) {
    problems.push('bicep/main.bicep: the lake storage account is not given storageQueues');
  }
  if (!/queues:\s*union\(queueProvider\s*==\s*'servicebus'\s*\?\s*workQueues\s*:\s*\[\],\s*forwardQueues\)/.test(mainCode)) {
    problems.push('bicep/main.bicep: the Service Bus namespace does not get workQueues when QUEUE_PROVIDER=servicebus');
  }
  for (const name of code.containers) if (!CONTAINER_NAME.test(name)) problems.push(`blob container name ${name} is not a valid Azure container name`);
  for (const name of code.queues.flatMap((q) => [q, code.poisonQueueName(q)])) if (!QUEUE_NAME.test(name)) problems.push(`queue name ${name} is not a valid Azure queue name`);
  for (const name of code.tables) if (!TABLE_NAME.test(name)) problems.push(`table name ${name} is not a valid Azure table name`);

  // Service Bus topics and subscriptions.
  const topics = bicepStringArray(infra.main, 'serviceBusTopics');
  for (const name of missing(topics, code.topics)) problems.push(`Service Bus topic ${name} is not created by bicep/main.bicep serviceBusTopics`);
  const subscriptions = bicepSubscriptions(infra.main);
  for (const wanted of code.subscriptions) {
    const found = subscriptions?.find((s) => s.name === wanted.name);
    if (!found) {
      problems.push(`Service Bus subscription ${wanted.topic}/${wanted.name} is not created by bicep/main.bicep topicSubscriptions`);
      continue;
    }
    if ((wanted.forwardTo ?? '') !== found.forwardTo) {
      problems.push(`Service Bus subscription ${wanted.topic}/${wanted.name} forwards to '${found.forwardTo}' in bicep/main.bicep, the code expects '${wanted.forwardTo ?? ''}'`);
    }
  }
  if (!/var\s+forwardQueues\s*=\s*filter\(map\(topicSubscriptions,\s*s\s*=>\s*s\.forwardTo\),\s*q\s*=>\s*!empty\(q\)\)/.test(mainCode)) {
    problems.push('bicep/main.bicep: forwardQueues (the Service Bus queues that subscriptions forward to) is not derived from topicSubscriptions');
  }

  // Triggers: timer schedules come from settings that the Bicep sets; queue triggers have their queue.
  for (const timer of code.timers) {
    const setting = code.settings[timer.setting];
    const value = defaults?.get(timer.setting);
    if (!setting) problems.push(`timer ${timer.name}: schedule setting ${timer.setting} is not a setting`);
    else if (setting.localOnly || setting.secret) problems.push(`timer ${timer.name}: schedule setting ${timer.setting} must be a plain setting set in Azure`);
    else if (value === undefined) problems.push(`timer ${timer.name}: schedule setting ${timer.setting} is not set by the Bicep (run \`npm run infra:settings\`)`);
    else {
      const literal = bicepLiteral(value);
      if (literal === undefined || literal.trim().split(/\s+/).length !== 6) problems.push(`timer ${timer.name}: ${timer.setting} in the Bicep is not a six-field NCRONTAB literal (${value})`);
    }
    for (const [file, text] of Object.entries(infra.parameterFiles)) {
      const override = bicepObject(text, 'settingOverrides')?.get(timer.setting);
      const literal = override === undefined ? undefined : bicepLiteral(override);
      if (literal !== undefined && literal.trim().split(/\s+/).length !== 6) problems.push(`bicep/${file}: ${timer.setting} is not a six-field NCRONTAB expression`);
    }
  }
  for (const trigger of code.queueTriggers) {
    if (!(workQueues ?? []).includes(trigger.queue)) problems.push(`queue trigger ${trigger.name}: queue ${trigger.queue} is not created by bicep/main.bicep workQueues`);
  }

  // Host connections of the triggers, identity-based.
  const functionAppCode = stripComments(infra.functionApp);
  for (const connection of code.connections) {
    const keys = connection.kind === 'storage' ? ['queueServiceUri', 'credential', 'clientId'] : ['fullyQualifiedNamespace', 'credential', 'clientId'];
    for (const key of keys) {
      if (!new RegExp(`^\\s+${escapeRegExp(connection.name)}__${key}\\s*:`, 'm').test(functionAppCode)) {
        problems.push(`connection ${connection.name}: app setting ${connection.name}__${key} is missing from bicep/modules/functionApp.bicep`);
      }
    }
  }

  // Nothing Flex Consumption rejects.
  for (const [file, text] of [
    ['bicep/modules/functionApp.bicep', infra.functionApp],
    ['bicep/modules/appSettings.generated.bicep', infra.generatedSettings],
    ['bicep/main.bicep', infra.main],
  ] as const) {
    const body = stripComments(text);
    for (const key of FLEX_FORBIDDEN_SETTINGS) if (new RegExp(`\\b${key}\\b`).test(body)) problems.push(`${file} sets ${key}, which Flex Consumption does not support`);
  }

  return problems;
}
