// `npm run bench [-- --quick]` (after `node esbuild.mjs --quiet`): bundles bench/src with esbuild
// (Node parts to out/bench/*.mjs, the Chromium page's script to out/bench/browser.js), then runs
// out/bench/main.mjs, which prints the tables and writes bench/results.md (not with --build-only).
// out/bench/workbench.mjs is `npm run bench:workbench` (bench/src/workbench.ts).
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';

const node = { bundle: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external', logLevel: 'error',
  outdir: 'out/bench', outExtension: { '.js': '.mjs' }, sourcemap: 'linked' };
await Promise.all([
  esbuild.build({ ...node, entryPoints: { main: 'bench/src/main.ts', worker: 'bench/src/node-worker.ts', workbench: 'bench/src/workbench.ts' } }),
  // The Dawn runner travels to GPU machines without node_modules: everything bundled but Dawn itself.
  esbuild.build({ ...node, packages: undefined, external: ['webgpu', 'sharp'], entryPoints: { dawn: 'bench/src/dawn.ts' } }),
  esbuild.build({ bundle: true, platform: 'browser', target: 'chrome120', format: 'esm', logLevel: 'error', outdir: 'out/bench',
    entryPoints: { browser: 'bench/src/browser.ts' } }),
]);
if (!process.argv.includes('--build-only')) {
  const run = spawnSync(process.execPath, ['out/bench/main.mjs', ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
}
