/**
 * The Bicep templates create and configure everything the code names, read from the code at test
 * time (SETTINGS, CONTAINERS, TABLES, QUEUES, CATALOG), so a setting, queue, table, container,
 * topic or trigger added to the code alone fails here with a line saying what to add.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../lib/app/catalog.js';
import { text } from '../lib/config/schema.js';
import { SETTINGS } from '../lib/config/settings.js';
import * as resources from '../lib/platform/resources.js';
import { FROM_DEPLOYMENT, GENERATED_SETTINGS_FILE, appSettingsBicep, keyVaultSecretName } from '../infra/appSettings.js';
import { bicepObject, bicepStringArray, bicepSubscriptions, checkInfrastructure, readInfraTexts, stripComments, type CodeInventory, type InfraTexts } from '../infra/consistency.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

type Subscription = CodeInventory['subscriptions'][number];

/**
 * The Service Bus topics and subscriptions of lib/platform/resources.ts TOPICS, if the code has it:
 * { alerts: { name: 'alerts', subscriptions: { dispatcher: { forwardTo: 'alert-dispatch' } } } }
 * (a plain string value is a topic without subscriptions).
 */
function codeTopics(): { topics: string[]; subscriptions: Subscription[] } {
  const declared = (resources as Record<string, unknown>).TOPICS;
  const topics: string[] = [];
  const subscriptions: Subscription[] = [];
  for (const [key, value] of Object.entries((declared ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string') {
      topics.push(value);
      continue;
    }
    const topic = value as { name?: string; subscriptions?: Record<string, { forwardTo?: string } | undefined> };
    const name = topic.name ?? key;
    topics.push(name);
    for (const [subscription, options] of Object.entries(topic.subscriptions ?? {})) {
      subscriptions.push({ topic: name, name: subscription, ...(options?.forwardTo ? { forwardTo: options.forwardTo } : {}) });
    }
  }
  return { topics, subscriptions };
}

/** The trigger connections functions/index.ts registers (`connection: NAME` of app.storageQueue / app.serviceBus*). */
function triggerConnections(): CodeInventory['connections'] {
  const source = read('functions/index.ts');
  const constants = new Map([...source.matchAll(/const\s+([A-Z_]+)\s*=\s*'([^']+)'/g)].map((m) => [m[1]!, m[2]!]));
  const found = new Map<string, 'storage' | 'servicebus'>();
  for (const m of source.matchAll(/app\.(storageQueue|serviceBusQueue|serviceBusTopic)\([^;]*?connection:\s*([A-Za-z_'"]+)/g)) {
    const reference = m[2]!.replace(/['"]/g, '');
    found.set(constants.get(reference) ?? reference, m[1] === 'storageQueue' ? 'storage' : 'servicebus');
  }
  return [...found].map(([name, kind]) => ({ name, kind }));
}

/** Everything the code names, as it is now. */
function codeInventory(): CodeInventory {
  const timers: { name: string; setting: string }[] = [];
  const queueTriggers: { name: string; queue: string }[] = [];
  const declared = codeTopics();
  const topics = new Set(declared.topics);
  const subscriptions = [...declared.subscriptions];
  for (const fn of CATALOG) {
    const trigger = fn.trigger as unknown as Record<string, unknown>;
    if (typeof trigger.scheduleSetting === 'string') timers.push({ name: fn.name, setting: trigger.scheduleSetting });
    if (typeof trigger.queue === 'string') queueTriggers.push({ name: fn.name, queue: trigger.queue });
    const topic = trigger.topic ?? trigger.topicName;
    const subscription = trigger.subscription ?? trigger.subscriptionName;
    if (typeof topic === 'string') topics.add(topic);
    if (typeof topic === 'string' && typeof subscription === 'string' && !subscriptions.some((s) => s.topic === topic && s.name === subscription)) {
      subscriptions.push({ topic, name: subscription });
    }
  }
  return {
    settings: SETTINGS,
    containers: Object.values(resources.CONTAINERS),
    tables: Object.values(resources.TABLES),
    queues: Object.values(resources.QUEUES),
    poisonQueueName: resources.poisonQueueName,
    topics: [...topics],
    subscriptions,
    timers,
    queueTriggers,
    connections: triggerConnections(),
    fromDeployment: FROM_DEPLOYMENT,
  };
}

function infraTexts(): InfraTexts {
  return { ...readInfraTexts(ROOT), expectedGeneratedSettings: appSettingsBicep() };
}

describe('Bicep and code agree', () => {
  it('the templates create and configure everything the code names', () => {
    expect(checkInfrastructure(codeInventory(), { ...infraTexts(), sampleSettings: undefined, readme: undefined })).toEqual([]);
  });

  it('local.settings.sample.json and the README settings table list every setting', () => {
    const problems = checkInfrastructure(codeInventory(), infraTexts()).filter((p) => p.includes('local.settings.sample.json') || p.includes('README'));
    expect(problems).toEqual([]);
  });

  it('the generated app settings module is what `npm run infra:settings` writes now', () => {
    expect(read(GENERATED_SETTINGS_FILE)).toBe(appSettingsBicep());
  });

  it('the code names what the checks rely on: queue triggers, a timer and both trigger connections', () => {
    const code = codeInventory();
    expect(code.queueTriggers.length).toBeGreaterThan(0);
    expect(code.timers.length).toBeGreaterThan(0);
    expect(code.connections).toEqual(expect.arrayContaining([{ name: 'LakeStorage', kind: 'storage' }, { name: 'ServiceBus', kind: 'servicebus' }]));
    // Every queue a trigger listens on is one of the named queues (so checking QUEUES covers them).
    for (const trigger of code.queueTriggers) expect(code.queues).toContain(trigger.queue);
  });

  it('the alerts topic of the design exists with at least one subscription', () => {
    const main = read('bicep/main.bicep');
    expect(bicepStringArray(main, 'serviceBusTopics')).toContain('alerts');
    expect(bicepSubscriptions(main)?.length).toBeGreaterThan(0);
  });

  it('QUEUE_MAX_ATTEMPTS, host.json maxDequeueCount and the Bicep queueMaxAttempts (Service Bus maxDeliveryCount) are one number', () => {
    const hostJson = JSON.parse(read('host.json')) as { extensions: { queues: { maxDequeueCount: number } } };
    const attempts = SETTINGS.QUEUE_MAX_ATTEMPTS.default;
    expect(hostJson.extensions.queues.maxDequeueCount).toBe(attempts);
    expect(read('bicep/main.bicep')).toMatch(new RegExp(`^param queueMaxAttempts int = ${attempts}$`, 'm'));
    for (const file of ['bicep/main.dev.bicepparam', 'bicep/main.prod.bicepparam']) {
      expect(read(file)).toMatch(new RegExp(`^param queueMaxAttempts = ${attempts}$`, 'm'));
    }
    expect(read('bicep/modules/serviceBus.bicep')).toMatch(/maxDeliveryCount: maxDeliveryCount/);
    expect(read('bicep/main.bicep')).toMatch(/maxDeliveryCount: queueMaxAttempts/);
    expect(read('bicep/modules/functionApp.bicep')).toMatch(/AzureFunctionsJobHost__extensions__queues__maxDequeueCount: string\(queueMaxAttempts\)/);
  });

  it('secrets are Key Vault references to secrets named after the setting', () => {
    const generated = read(GENERATED_SETTINGS_FILE);
    for (const key of Object.keys(SETTINGS) as (keyof typeof SETTINGS)[]) {
      const setting = SETTINGS[key];
      if (!setting.secret || setting.localOnly) continue;
      expect(generated).toContain(`${key}: contains(secretsInVault, '${key}') ? '@Microsoft.KeyVault(SecretUri=\${keyVaultUri}secrets/${keyVaultSecretName(key)}/)' : ''`);
    }
  });
});

describe('the check fails when the code names something the Bicep lacks', () => {
  const infra = infraTexts();
  const base = codeInventory();
  const problems = (code: Partial<CodeInventory>, texts: InfraTexts = infra): string[] => checkInfrastructure({ ...base, ...code }, texts);

  it('passes on the code as it is (the baseline of the cases below)', () => {
    expect(problems({}).filter((p) => !p.includes('local.settings.sample.json') && !p.includes('README'))).toEqual([]);
  });

  it('a new setting', () => {
    const settings = { ...SETTINGS, FAKE_NEW_SETTING: text({ description: 'added to the code only', default: 'x' }) };
    const found = problems({ settings });
    expect(found).toContain('setting FAKE_NEW_SETTING is not an app setting in the Bicep (run `npm run infra:settings`)');
    expect(found).toContain('setting FAKE_NEW_SETTING is missing from local.settings.sample.json (run `npm run settings:sample`)');
    expect(found).toContain('setting FAKE_NEW_SETTING is missing from the README settings table (run `npm run settings:sample`)');
    // ...and the generator would write a different file, which the staleness check reports.
    const regenerated = appSettingsBicep(settings);
    expect(regenerated).toContain("FAKE_NEW_SETTING: 'x'");
    expect(problems({ settings }, { ...infra, expectedGeneratedSettings: regenerated })).toContain(
      'bicep/modules/appSettings.generated.bicep differs from the settings schema (run `npm run infra:settings`)',
    );
  });

  it('a new secret setting, and a setting that becomes local-only', () => {
    const settings = { ...SETTINGS, FAKE_WEBHOOK_URL: text({ description: 'secret', secret: true }), LOG_LEVEL: { ...SETTINGS.LOG_LEVEL, localOnly: true } };
    const found = problems({ settings });
    expect(found).toContain('setting FAKE_WEBHOOK_URL is not an app setting in the Bicep (run `npm run infra:settings`)');
    expect(found).toContain("bicep/main.dev.bicepparam: secret setting FAKE_WEBHOOK_URL is missing from secretValues (readEnvironmentVariable('FAKE_WEBHOOK_URL', ''))");
    expect(found).toContain('setting LOG_LEVEL is local-only but the Bicep sets it in Azure (run `npm run infra:settings`)');
  });

  it('a new queue (and its poison queue), table and container', () => {
    const found = problems({ queues: [...base.queues, 'fake-new-work'], tables: [...base.tables, 'fakenewtable'], containers: [...base.containers, 'fake-container'] });
    expect(found).toContain('queue fake-new-work (lib/platform/resources.ts) is not created by bicep/main.bicep workQueues');
    expect(found).toContain('poison queue fake-new-work-poison (lib/platform/resources.ts poisonQueueName) is not created by bicep/main.bicep storageQueues');
    expect(found).toContain('table fakenewtable (lib/platform/resources.ts) is not created by bicep/main.bicep lakeTables');
    expect(found).toContain('blob container fake-container (lib/platform/resources.ts) is not created by bicep/main.bicep lakeContainers');
  });

  it('a poison-queue convention the Bicep does not follow', () => {
    const found = problems({ poisonQueueName: (q) => `${q}-parked` });
    expect(found).toContain(`poison queue ${base.queues[0]}-parked (lib/platform/resources.ts poisonQueueName) is not created by bicep/main.bicep storageQueues`);
  });

  it('a new topic and subscription', () => {
    const found = problems({
      topics: [...base.topics, 'fake-topic'],
      subscriptions: [...base.subscriptions, { topic: 'fake-topic', name: 'fake-subscriber' }, { topic: 'alerts', name: 'dispatcher', forwardTo: 'elsewhere' }],
    });
    expect(found).toContain('Service Bus topic fake-topic is not created by bicep/main.bicep serviceBusTopics');
    expect(found).toContain('Service Bus subscription fake-topic/fake-subscriber is not created by bicep/main.bicep topicSubscriptions');
    expect(found).toContain("Service Bus subscription alerts/dispatcher forwards to 'alert-dispatch' in bicep/main.bicep, the code expects 'elsewhere'");
  });

  it('a new timer whose schedule setting the Bicep does not set, and a queue trigger on a queue it lacks', () => {
    const found = problems({
      timers: [...base.timers, { name: 'fakeTimer', setting: 'FAKE_SCHEDULE' }],
      queueTriggers: [...base.queueTriggers, { name: 'fakeWorker', queue: 'fake-queue' }],
    });
    expect(found).toContain('timer fakeTimer: schedule setting FAKE_SCHEDULE is not a setting');
    expect(found).toContain('queue trigger fakeWorker: queue fake-queue is not created by bicep/main.bicep workQueues');
    const settings = { ...SETTINGS, FAKE_SCHEDULE: text({ description: 'schedule', default: '0 0 * * * *' }) };
    expect(problems({ settings, timers: [{ name: 'fakeTimer', setting: 'FAKE_SCHEDULE' }] })).toContain(
      'timer fakeTimer: schedule setting FAKE_SCHEDULE is not set by the Bicep (run `npm run infra:settings`)',
    );
  });

  it('a new trigger connection the Function App does not configure', () => {
    const found = problems({ connections: [...base.connections, { name: 'OtherStorage', kind: 'storage' }] });
    expect(found).toContain('connection OtherStorage: app setting OtherStorage__queueServiceUri is missing from bicep/modules/functionApp.bicep');
  });

  it('a setting Flex Consumption rejects, set in the Bicep', () => {
    const functionApp = infra.functionApp.replace("AzureWebJobsStorage__credential: 'managedidentity'", "AzureWebJobsStorage__credential: 'managedidentity'\n  FUNCTIONS_WORKER_RUNTIME: 'node'");
    expect(problems({}, { ...infra, functionApp })).toContain('bicep/modules/functionApp.bicep sets FUNCTIONS_WORKER_RUNTIME, which Flex Consumption does not support');
  });
});

describe('the templates', () => {
  const main = read('bicep/main.bicep');

  it('reference module files that exist', () => {
    const modules = [...main.matchAll(/^module\s+\w+\s+'([^']+)'/gm)].map((m) => m[1]!);
    expect(modules.length).toBeGreaterThan(8);
    for (const module of modules) expect(existsSync(path.join(ROOT, 'bicep', module)), module).toBe(true);
    for (const file of ['bicep/main.dev.bicepparam', 'bicep/main.prod.bicepparam']) expect(read(file)).toMatch(/^using '\.\/main\.bicep'$/m);
  });

  it('pass every module the parameters it declares, and use only outputs it declares (no Bicep compiler here)', () => {
    const code = stripComments(main);
    const modules = new Map([...code.matchAll(/^module\s+(\w+)\s+'([^']+)'/gm)].map((m) => [m[1]!, m[2]!]));
    for (const [symbol, file] of modules) {
      const moduleText = stripComments(read(path.join('bicep', file)));
      const declared = new Map([...moduleText.matchAll(/^param\s+(\w+)\s+\w+(\s*=)?/gm)].map((m) => [m[1]!, m[2] !== undefined]));
      const block = new RegExp(`^module\\s+${symbol}\\s+'[^']+'\\s*=\\s*\\{([\\s\\S]*?)^\\}`, 'm').exec(code)?.[1] ?? '';
      const params = /^ {2}params:\s*\{\s*\n([\s\S]*?)^ {2}\}/m.exec(block)?.[1] ?? '';
      const passed = [...params.matchAll(/^ {4}(\w+):/gm)].map((m) => m[1]!);
      for (const name of passed) expect(declared.has(name), `${file} has no param ${name}`).toBe(true);
      for (const [name, hasDefault] of declared) if (!hasDefault) expect(passed, `${symbol} (${file}) needs ${name}`).toContain(name);
      const outputs = new Set([...moduleText.matchAll(/^output\s+(\w+)\s/gm)].map((m) => m[1]!));
      for (const m of code.matchAll(new RegExp(`\\b${symbol}\\.outputs\\.(\\w+)`, 'g'))) expect(outputs.has(m[1]!), `${file} has no output ${m[1]}`).toBe(true);
    }
    // Parameter files set only parameters main.bicep declares.
    const mainParams = new Set([...code.matchAll(/^param\s+(\w+)\s/gm)].map((m) => m[1]!));
    for (const file of ['bicep/main.dev.bicepparam', 'bicep/main.prod.bicepparam']) {
      for (const m of read(file).matchAll(/^param\s+(\w+)\s*=/gm)) expect(mainParams.has(m[1]!), `${file}: main.bicep has no param ${m[1]}`).toBe(true);
    }
  });

  it('output what a person needs: API URL, storage account, registry, function app', () => {
    for (const output of ['apiUrl', 'lakeStorageAccountName', 'registryLoginServer', 'functionAppName', 'trainingJobName']) {
      expect(main).toMatch(new RegExp(`^output ${output} string =`, 'm'));
    }
  });

  it('lock storage down: Entra ID only, no public blobs, TLS 1.2', () => {
    const storage = read('bicep/modules/storageAccount.bicep');
    expect(storage).toMatch(/allowBlobPublicAccess: false/);
    expect(storage).toMatch(/minimumTlsVersion: 'TLS1_2'/);
    expect(storage).toMatch(/allowSharedKeyAccess: false/);
    expect(read('bicep/modules/functionApp.bicep')).toMatch(/type: 'UserAssignedIdentity'/);
  });

  it('grant the identity the least-privilege roles, each at the scope of one resource', () => {
    const roles = bicepObject(main, 'roles');
    expect(roles?.get('storageBlobDataContributor')).toBe("'ba92f5b4-2d11-453d-a403-e96b0029c9fe'");
    expect(roles?.get('storageQueueDataContributor')).toBe("'974c5e8b-45b9-4653-ba55-5f855dd0fb88'");
    expect(roles?.get('storageTableDataContributor')).toBe("'0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'");
    expect(roles?.get('serviceBusDataSender')).toBe("'69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'");
    expect(roles?.get('serviceBusDataReceiver')).toBe("'4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'");
    expect(roles?.get('keyVaultSecretsUser')).toBe("'4633458b-17de-408a-b874-0445c86b69e6'");
    expect(roles?.get('acrPull')).toBe("'7f951dda-4ed3-4680-a7ca-43fe172d538d'");
    for (const key of roles?.keys() ?? []) expect(stripComments(main)).toContain(`roles.${key}`);
    // No subscription- or resource-group-wide assignment anywhere.
    for (const file of ['storageAccount', 'keyVault', 'serviceBus', 'registry', 'communication']) {
      const module = read(`bicep/modules/${file}.bicep`);
      for (const m of module.matchAll(/Microsoft\.Authorization\/roleAssignments@[^']+' = (?:\[for [^:]+: )?\{\s*\n\s*name: [^\n]+\n\s*scope: (\w+)/g)) {
        expect(['account', 'vault', 'namespace', 'registry', 'communication']).toContain(m[1]);
      }
    }
  });

  it('run the training job as `lims-mlops train` from the registry with the managed identity', () => {
    const job = read('bicep/modules/trainingJob.bicep');
    expect(job).toMatch(/triggerType: 'Schedule'/);
    expect(job).toMatch(/cronExpression: cronExpression/);
    expect(job).toMatch(/replicaTimeout: replicaTimeoutSeconds/);
    expect(job).toMatch(/'lims-mlops'\s*\]/);
    expect(job).toMatch(/'train'\s*\]/);
    expect(job).toMatch(/server: registryLoginServer\s*\n\s*identity: identityId/);
    expect(main).toMatch(/^param trainingCron string = '(\S+ ){4}\S+'$/m);
  });
});
