// Builds every bundle of the project. Node parts and browser parts are bundled separately:
//   dist/cli.mjs, dist/build-model.mjs   Node command lines
//   dist/extension.js                    VS Code extension host (CommonJS, `vscode` external)
//   dist/webview.js                      the webview's page (browser ESM: chat panel, media decoding)
//   dist/engine-worker.js                the webview's engine worker (browser ESM, onnxruntime-web/webgpu inside)
//   out/extension-suite/index.js         tests that run inside the VS Code extension host
//   out/test/**/*.test.mjs               test files, run by `node --test`
// Usage: node esbuild.mjs [--quiet] [--watch]
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, statSync, mkdirSync, copyFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const quiet = process.argv.includes('--quiet');
const watch = process.argv.includes('--watch');

function findTests(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts') && !dir.includes('extension-suite')) out.push(path);
  }
  return out;
}

const nodeCommon = {
  bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: quiet ? 'error' : 'info',
  packages: 'external',
};

const builds = [
  { ...nodeCommon, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', format: 'esm', outExtension: { '.js': '.mjs' },
    banner: { js: '#!/usr/bin/env node' } },
  { ...nodeCommon, entryPoints: { 'build-model': 'src/builder/main.ts' }, outdir: 'dist', format: 'esm', outExtension: { '.js': '.mjs' } },
  { ...nodeCommon, packages: undefined, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist', format: 'cjs',
    external: ['vscode'] },
  // The in-extension-host tests: CommonJS like the extension, loaded by VS Code as extensionTestsPath
  // (test/e2e/extension-host.test.ts starts them).
  { ...nodeCommon, packages: undefined, entryPoints: { index: 'test/extension-suite/index.ts' }, outdir: 'out/extension-suite', format: 'cjs',
    external: ['vscode'] },
  // The same suite in a downloaded desktop VS Code (@vscode/test-electron), where the network allows.
  { ...nodeCommon, entryPoints: { electron: 'test/extension-suite/electron.ts' }, outdir: 'out/extension-suite', format: 'esm',
    outExtension: { '.js': '.mjs' } },
  { bundle: true, platform: 'browser', target: 'chrome120', format: 'esm', sourcemap: 'linked', logLevel: quiet ? 'error' : 'info',
    entryPoints: { webview: 'src/webview/main.ts', 'engine-worker': 'src/webview/worker/main.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: findTests('test').map((p) => ({ in: p, out: relative('test', p).replace(/\.ts$/, '') })),
    outdir: 'out/test', format: 'esm', outExtension: { '.js': '.mjs' } },
].filter((b) => {
  const entries = Array.isArray(b.entryPoints) ? b.entryPoints.map((e) => e.in) : Object.values(b.entryPoints);
  return entries.length > 0 && entries.every((e) => existsSync(e));
});

// The webview loads onnxruntime-web's WASM binaries from the extension's own folder: those of
// its WebGPU build (asyncify) and of its WASM-only build (the JS glue of both is bundled into
// dist/engine-worker.js).
const ORT_BINARIES = ['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.wasm'];
function copyOrtWasm() {
  const from = 'node_modules/onnxruntime-web/dist';
  mkdirSync('dist/ort', { recursive: true });
  for (const f of readdirSync('dist/ort')) if (!ORT_BINARIES.includes(f)) rmSync(join('dist/ort', f));
  for (const f of ORT_BINARIES) copyFileSync(join(from, f), join('dist/ort', f));
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  copyOrtWasm();
}
