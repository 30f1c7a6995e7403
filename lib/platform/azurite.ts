import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Azurite's published development account (public, documented by Microsoft; not a secret). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface EmbeddedAzurite {
  readonly connectionString: string;
  readonly ports: { blob: number; queue: number; table: number };
  /** The child process (benchmarks read its CPU time). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** Folder for Azurite's data; omitted means in-memory (tests). */
  location?: string;
  startTimeoutMs?: number;
}

function azuriteEntry(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('azurite/package.json');
  return path.join(path.dirname(packageJson), 'dist', 'src', 'azurite.js');
}

function connectionStringFor(ports: EmbeddedAzurite['ports']): string {
  const host = 'http://127.0.0.1';
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_KEY}`,
    `BlobEndpoint=${host}:${ports.blob}/${DEV_ACCOUNT}`,
    `QueueEndpoint=${host}:${ports.queue}/${DEV_ACCOUNT}`,
    `TableEndpoint=${host}:${ports.table}/${DEV_ACCOUNT}`,
  ].join(';');
}

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/127\.0\.0\.1:(\d+)/;

/**
 * Starts Azurite as a child process on free loopback ports (telemetry off, API version check
 * skipped for current SDKs, no access log: a line per request costs Azurite and the reader of
 * its output CPU for nothing) and resolves once blob, queue and table services listen.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<EmbeddedAzurite> {
  const args = [azuriteEntry(), '--disableTelemetry', '--skipApiVersionCheck', '--loose', '--silent'];
  args.push('--blobHost', '127.0.0.1', '--queueHost', '127.0.0.1', '--tableHost', '127.0.0.1');
  args.push('--blobPort', '0', '--queuePort', '0', '--tablePort', '0');
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ports = await waitForPorts(child, options.startTimeoutMs ?? 30_000);
  return { connectionString: connectionStringFor(ports), ports, pid: child.pid, stop: () => stopChild(child) };
}

function waitForPorts(child: ChildProcess, timeoutMs: number): Promise<EmbeddedAzurite['ports']> {
  return new Promise((resolve, reject) => {
    const found: Partial<Record<'blob' | 'queue' | 'table', number>> = {};
    let output = '';
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    function fail(reason: string): void {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`Embedded Azurite ${reason}. Output:\n${output.slice(-2000)}`));
    }
    function onData(chunk: Buffer): void {
      output += chunk.toString();
      for (const line of chunk.toString().split('\n')) {
        const match = LISTENING.exec(line);
        if (match) found[match[1]!.toLowerCase() as 'blob' | 'queue' | 'table'] = Number(match[2]);
      }
      if (found.blob && found.queue && found.table) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve({ blob: found.blob, queue: found.queue, table: found.table });
      }
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => fail(`exited with code ${code}`));
    child.once('error', (error) => fail(`could not be started: ${error.message}`));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
