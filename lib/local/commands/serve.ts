import { CATALOG } from '../../app/catalog.js';
import { integerOption } from '../args.js';
import type { Command } from '../command.js';
import { startLocalHost } from '../host.js';
import { startLocalPlatform } from '../platform.js';

function describeTrigger(f: (typeof CATALOG)[number], url: string): string {
  switch (f.trigger.kind) {
    case 'http':
      return `${f.trigger.methods.join(',').padEnd(9)} ${url}/api/${f.trigger.route}`;
    case 'timer':
      return `timer     ${f.trigger.scheduleSetting} (run now: POST ${url}/admin/functions/${f.name})`;
    case 'queue':
      return `queue     ${f.trigger.queue} (polled)`;
  }
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the function app locally: HTTP routes, queue triggers, timers on demand',
  usage: `lims-mlops serve [--port N] [--host ADDRESS]

Runs the same function catalog as Azure Functions: HTTP routes under /api, queue triggers
polling the queues, timers run on demand with POST /admin/functions/<name>. Ctrl-C stops.
  --port N        port (default 7071, as the Functions host)
  --host ADDRESS  address to listen on (default 127.0.0.1)`,
  options: { port: { type: 'string' }, host: { type: 'string' } },
  prepare(values, _positionals, config) {
    const port = integerOption('serve', 'port', values.port as string | undefined, 7071, 0, 65535);
    const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
    return async () => {
      const platform = await startLocalPlatform(config, console.error);
      const server = await startLocalHost(platform.ctx, { port, host, log: (line) => console.error(line) });
      console.log(`lims-mlops serving at ${server.url}`);
      for (const f of CATALOG) console.log(`  ${f.name.padEnd(16)} ${describeTrigger(f, server.url)}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      console.error('Stopping...');
      await server.stop();
      await platform.stop();
      return 0;
    };
  },
};
