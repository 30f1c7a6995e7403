/**
 * The delivery files (infra/azure-pipelines.yml and its template, infra/Dockerfile, the scripts
 * under infra/) refer only to commands, npm scripts and paths that exist in the repository, and
 * agree with the code: the API routes the smoke test calls, the CLI command the image runs, the
 * secrets the pipeline must hand to the deployment.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CATALOG } from '../lib/app/catalog.js';
import { SETTINGS } from '../lib/config/settings.js';
import { FEATURE_NAMES } from '../lib/features/deviceFeatures.js';
import { trainCommand } from '../lib/local/commands/train.js';
import { deviceFeaturesRequest } from '../lib/serving/contract.js';
import { validate } from '../lib/serving/schema.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const exists = (file: string): boolean => existsSync(path.join(ROOT, file));
const packageJson = JSON.parse(read('package.json')) as { main: string; bin: Record<string, string>; scripts: Record<string, string> };

type Yaml = Record<string, unknown>;
interface Step {
  readonly file: string;
  readonly step: Yaml;
}

const PIPELINE = 'infra/azure-pipelines.yml';

/** The pipeline and the templates it includes, parsed. */
function pipelineFiles(): Map<string, Yaml> {
  const files = new Map<string, Yaml>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    const doc = parse(read(file)) as Yaml;
    files.set(file, doc);
    for (const template of collect(doc, (node) => (typeof node.template === 'string' ? [node.template] : []))) {
      visit(path.posix.join(path.posix.dirname(file), template));
    }
  };
  visit(PIPELINE);
  return files;
}

/** Every value `pick` returns for any object node of the document. */
function collect<T>(node: unknown, pick: (node: Yaml) => T[]): T[] {
  if (Array.isArray(node)) return node.flatMap((item) => collect(item, pick));
  if (node === null || typeof node !== 'object') return [];
  const own = pick(node as Yaml);
  return [...own, ...Object.values(node as Yaml).flatMap((value) => collect(value, pick))];
}

function steps(): Step[] {
  return [...pipelineFiles()].flatMap(([file, doc]) =>
    collect(doc, (node) => (Array.isArray(node.steps) ? (node.steps as Yaml[]) : [])).map((step) => ({ file, step })),
  );
}

/** Script lines of every `script:` / `bash:` step and inline AzureCLI script. */
function scriptLines(): { file: string; line: string }[] {
  return steps().flatMap(({ file, step }) => {
    const inputs = (step.inputs ?? {}) as Yaml;
    const texts = [step.script, step.bash, inputs.inlineScript].filter((t): t is string => typeof t === 'string');
    return texts.flatMap((text) => text.split('\n').map((line) => ({ file, line: line.trim() })));
  });
}

/** Repository paths a command line names: tokens starting with a top-level folder of the repository. */
const REPO_PATH = /(?:^|[\s=])((?:infra|bicep|lib|test|functions|docs|bench)\/[\w./-]+)/g;

describe('the pipeline refers to what exists', () => {
  it('parses, and includes templates that exist', () => {
    const files = pipelineFiles();
    expect(files.size).toBeGreaterThanOrEqual(2);
    for (const file of files.keys()) expect(exists(file), file).toBe(true);
  });

  it('runs npm scripts that package.json defines and paths that exist', () => {
    const lines = scriptLines();
    expect(lines.length).toBeGreaterThan(10);
    for (const { file, line } of lines) {
      for (const m of line.matchAll(/\bnpm run ([\w:-]+)/g)) expect(packageJson.scripts, `${file}: ${line}`).toHaveProperty(m[1]!);
      if (/\bnpm (?:test|t)\b/.test(line)) expect(packageJson.scripts.test, `${file}: ${line}`).toBeDefined();
      if (/\bnpm ci\b/.test(line)) expect(exists('package-lock.json')).toBe(true);
      for (const m of line.matchAll(REPO_PATH)) expect(exists(m[1]!), `${file}: ${line} names ${m[1]}`).toBe(true);
    }
    for (const { file, step } of steps()) {
      const inputs = (step.inputs ?? {}) as Yaml;
      if (typeof inputs.scriptPath === 'string') expect(exists(inputs.scriptPath), `${file}: scriptPath ${inputs.scriptPath}`).toBe(true);
      if (typeof inputs.arguments === 'string') for (const m of inputs.arguments.matchAll(REPO_PATH)) expect(exists(m[1]!), `${file}: ${m[1]}`).toBe(true);
    }
  });

  it('runs the README test command, with the JUnit and coverage reporters as vitest flags', () => {
    expect(read('README.md')).toContain('npm test');
    const testLine = scriptLines().find(({ line }) => line.startsWith('npm test'))?.line;
    expect(testLine).toBeDefined();
    // npm appends the arguments after `--` to the script, whose last command must be vitest.
    expect(packageJson.scripts.test).toMatch(/vitest run$/);
    expect(testLine).toMatch(/^npm test -- /);
    expect(testLine).toContain('--reporter=junit');
    expect(testLine).toContain('--outputFile.junit=test-results/junit.xml');
    expect(testLine).toContain('--coverage.reporter=cobertura');
    const published = collect(pipelineFiles().get(PIPELINE), (node) => (node.task === 'PublishTestResults@2' ? [(node.inputs as Yaml).testResultsFiles] : []));
    expect(published).toContain('test-results/junit.xml');
    const coverage = collect(pipelineFiles().get(PIPELINE), (node) => (node.task === 'PublishCodeCoverageResults@2' ? [(node.inputs as Yaml).summaryFileLocation] : []));
    expect(coverage).toEqual(['coverage/cobertura-coverage.xml']);
  });

  it('runs the SQL Server suite against a SQL Server service container', () => {
    const doc = pipelineFiles().get(PIPELINE)!;
    const containers = ((doc.resources as Yaml).containers as Yaml[]).filter((c) => String(c.image).startsWith('mcr.microsoft.com/mssql/server'));
    expect(containers).toHaveLength(1);
    const password = (containers[0]!.env as Yaml).MSSQL_SA_PASSWORD as string;
    const job = collect(doc, (node) => (node.job === 'SqlServerIntegration' ? [node] : []))[0]!;
    expect(job.services).toEqual({ mssql: containers[0]!.container });
    const connection = (job.variables as Yaml).LIMS_SQL_TEST_CONNECTION as string;
    expect(connection).toContain(`Password=${password};`);
    expect(connection).toMatch(/Database=lims_test;/);
    const lines = collect(job, (node) => (typeof node.script === 'string' ? [node.script] : []));
    expect(lines.some((l) => l.includes('vitest run lib/sources/mssql.integration.test.ts'))).toBe(true);
    expect(read('lib/sources/mssql.integration.test.ts')).toContain('LIMS_SQL_TEST_CONNECTION');
  });

  it('deploys the Function App with AzureFunctionApp@2 on Flex Consumption, the package the Build stage publishes', () => {
    const deploys = steps().filter(({ step }) => step.task === 'AzureFunctionApp@2');
    expect(deploys).toHaveLength(1);
    const inputs = deploys[0]!.step.inputs as Yaml;
    expect(inputs.isFlexConsumption).toBe(true);
    expect(inputs.appType).toBe('functionAppLinux');
    expect(inputs.package).toBe('$(Pipeline.Workspace)/function-app/function-app.zip');
    const packaging = scriptLines().find(({ line }) => line.startsWith('bash infra/package-functionapp.sh'))?.line;
    expect(packaging).toContain('function-app/function-app.zip');
    expect(read('infra/package-functionapp.sh')).toContain('dist/functions/index.js');
    expect(packageJson.main).toBe('dist/functions/index.js');
  });

  it('uses only outputs that deploy-infra.sh publishes and main.bicep declares', () => {
    const template = read('infra/pipeline/environment-stages.yml');
    const used = new Set([...template.matchAll(/\$\(infra\.(\w+)\)/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(3);
    const script = read('infra/scripts/deploy-infra.sh');
    const published = /for output in ([\w ]+); do/.exec(script)?.[1]!.split(' ') ?? [];
    const main = read('bicep/main.bicep');
    for (const output of used) expect(published, output).toContain(output);
    for (const output of published) expect(main).toMatch(new RegExp(`^output ${output} string =`, 'm'));
  });

  it('hands every secret setting to the deployment (secret variables are not environment variables by themselves)', () => {
    const secrets = Object.entries(SETTINGS).filter(([, s]) => s.secret && !s.localOnly).map(([key]) => key);
    const deploySteps = steps().filter(({ step }) => ((step.inputs ?? {}) as Yaml).scriptPath === 'infra/scripts/deploy-infra.sh');
    expect(deploySteps.length).toBe(2); // what-if and deploy
    for (const { step } of deploySteps) {
      for (const key of secrets) expect((step.env ?? {}) as Yaml, `env of ${String(step.displayName)}`).toHaveProperty(key, `$(${key})`);
    }
  });

  it('deploys dev, then prod behind its own environment (where the approval lives)', () => {
    const template = pipelineFiles().get('infra/pipeline/environment-stages.yml')!;
    const deployment = collect(template, (node) => (typeof node.deployment === 'string' ? [node] : []))[0]!;
    expect(deployment.environment).toBe('lims-mlops-${{ parameters.environment }}');
    const uses = collect(pipelineFiles().get(PIPELINE), (node) => (node.template === 'pipeline/environment-stages.yml' ? [node.parameters as Yaml] : []));
    expect(uses.map((u) => [u.environment, u.dependsOn])).toEqual([
      ['dev', 'Build'],
      ['prod', 'Deploy_dev'],
    ]);
  });
});

describe('the scripts', () => {
  const shellScripts = ['infra/package-functionapp.sh', ...readdirSync(path.join(ROOT, 'infra/scripts')).filter((f) => f.endsWith('.sh')).map((f) => `infra/scripts/${f}`)];

  it('are valid bash', () => {
    expect(shellScripts.length).toBeGreaterThanOrEqual(4);
    for (const script of shellScripts) {
      const result = spawnSync('bash', ['-n', path.join(ROOT, script)], { encoding: 'utf8' });
      expect(result.status, `${script}: ${result.stderr}`).toBe(0);
    }
  });

  it('the smoke test calls routes the catalog serves, with a body the prediction API accepts', () => {
    const smoke = read('infra/scripts/smoke-test.sh');
    const routes = CATALOG.flatMap((f) => (f.trigger.kind === 'http' ? [`${f.trigger.methods.join(',')} ${f.trigger.route}`] : []));
    expect(smoke).toContain('GET "$api/health"');
    expect(routes).toContain('GET health');
    expect(smoke).toContain('POST "$api/predict/device-failure"');
    expect(routes).toContain('POST predict/device-failure');
    const body = JSON.parse(read('infra/scripts/smoke-prediction.json')) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['device_id', ...FEATURE_NAMES].sort());
    expect(validate(deviceFeaturesRequest, body).ok).toBe(true);
  });

  it('the SQL Server helper is valid JavaScript', () => {
    const result = spawnSync(process.execPath, ['--check', path.join(ROOT, 'infra/scripts/create-sql-test-database.mjs')], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
  });
});

describe('the training image', () => {
  const dockerfile = read('infra/Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('builds from node:20-slim with production dependencies only, onnxruntime install skipped, non-root', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-slim$/m);
    expect(instructions.filter((l) => l.startsWith('FROM ')).every((l) => l.startsWith('FROM ${NODE_IMAGE}'))).toBe(true);
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip/);
    const users = instructions.filter((l) => l.startsWith('USER '));
    expect(users.at(-1)).toBe('USER node');
  });

  it('copies only paths that exist, and the build stage runs npm scripts that exist', () => {
    for (const line of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      const parts = line.split(/\s+/).slice(1);
      for (const source of parts.slice(0, -1)) {
        const matches = source.includes('*') ? readdirSync(path.join(ROOT, path.dirname(source))).some((f) => new RegExp(`^${path.basename(source).replace('.', '\\.').replace('*', '.*')}$`).test(f)) : exists(source);
        expect(matches, line).toBe(true);
      }
    }
    for (const m of dockerfile.matchAll(/npm run ([\w:-]+)/g)) expect(packageJson.scripts).toHaveProperty(m[1]!);
    // The build stage's output folder is tsconfig's outDir.
    const outDir = (JSON.parse(read('tsconfig.json')) as { compilerOptions: { outDir: string } }).compilerOptions.outDir;
    expect(dockerfile).toContain(`COPY --from=build /src/${outDir}/lib ./${outDir}/lib`);
  });

  it('runs the CLI (the package bin lims-mlops) with the train command', () => {
    const bin = packageJson.bin['lims-mlops'] ?? 'missing bin lims-mlops';
    expect(instructions).toContain(`ENTRYPOINT ["node", "${bin}"]`);
    expect(instructions).toContain(`CMD ["${trainCommand.name}"]`);
    expect(trainCommand.name).toBe('train');
    expect(dockerfile).toContain(`ln -s /app/${bin} /usr/local/bin/lims-mlops`);
    expect(read(`${bin.replace(/^dist\//, '').replace(/\.js$/, '.ts')}`)).toMatch(/^#!\/usr\/bin\/env node/);
  });

  it('its build context (infra/Dockerfile.dockerignore) keeps what the Dockerfile copies and drops node_modules', () => {
    const ignore = read('infra/Dockerfile.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('**');
    expect(ignore).toContain('**/node_modules');
    const kept = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    for (const line of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      for (const source of line.split(/\s+/).slice(1, -1)) {
        const top = source.split('/')[0]!;
        expect(kept.some((k) => k === source || k === `${top}/**`), `${source} is excluded from the build context`).toBe(true);
      }
    }
  });
});
