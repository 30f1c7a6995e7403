/**
 * `npm run bench`: each benchmark runs in its own process, so its peak RSS is its own.
 * Extra arguments are passed to every benchmark (e.g. `npm run bench -- --devices 1000`).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = ['simulate.js', 'ingest.js', 'pipeline.js', 'train.js', 'serve.js', 'score.js', 'monitor.js'];
const here = path.dirname(fileURLToPath(import.meta.url));
let failed = false;
for (const bench of BENCHMARKS) {
  console.log(`\n== ${bench.replace('.js', '')} ==`);
  const result = spawnSync(process.execPath, [path.join(here, bench), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
