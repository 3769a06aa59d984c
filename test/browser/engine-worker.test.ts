// The webview's engine worker in a real browser: the page's EngineWorker (src/webview/
// engineWorker.ts) starts the built dist/engine-worker.js from a blob, as the webview does,
// serves it the bundled model's files, and gets answers back; media are sent once and asked
// about by id, cancelled mid-answer, released; a worker that cannot start fails its load with
// a clear message, and the next configuration starts a working one; a crash of the GPU process
// (a lost WebGPU device) reloads the model on WASM.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as esbuild from 'esbuild';
import type { EngineFiles } from '../../src/extension/protocol';
import { callHarness, CHROMIUM, openPage, type BrowserPage } from './chromium';
import type { WorkerHarness } from './harness/worker-page';
import { serve, type StaticServer } from './server';

const SCREENS = 'models/flamingo-screens';
const WORKER = 'dist/engine-worker.js';
const skip = !existsSync(CHROMIUM) ? `skipped: ${CHROMIUM} is absent (apt-get install chromium)`
  : !existsSync(`${SCREENS}/manifest.json`) ? `skipped: ${SCREENS} is absent`
    : !existsSync(WORKER) ? `skipped: ${WORKER} is not built (run node esbuild.mjs)` : false;

const ORT_BINARIES = { webgpu: '/dist/ort/ort-wasm-simd-threaded.asyncify.wasm', wasm: '/dist/ort/ort-wasm-simd-threaded.wasm' };
const FILES: EngineFiles = { workerScript: '/dist/engine-worker.js', ortBinaries: ORT_BINARIES };

/** Calls a harness function in the page; a failure carries the page's log. */
const call = <K extends keyof WorkerHarness>(b: BrowserPage, name: K, ...args: Parameters<WorkerHarness[K]>) =>
  callHarness(b, name, args) as Promise<Awaited<ReturnType<WorkerHarness[K]>>>;

describe('the engine worker in Chromium', { skip, timeout: 180_000 }, () => {
  let server: StaticServer;
  let browser: BrowserPage;

  before(async () => {
    const { outputFiles } = await esbuild.build({
      entryPoints: ['test/browser/harness/worker-page.ts'], bundle: true, format: 'esm', platform: 'browser', target: 'chrome120',
      write: false, logLevel: 'error',
    });
    server = await serve({
      pages: {
        '/index.html': '<!doctype html><meta charset="utf-8"><title>engine worker harness</title><script type="module" src="/page.js"></script>',
        '/page.js': outputFiles[0].contents,
        '/broken-worker.js': 'throw new Error("broken on purpose");',
      },
      folders: { '/dist/': 'dist', '/model/': SCREENS, '/png/': 'samples' },
    });
    browser = await openPage(`${server.origin}/index.html`, { webgpu: false });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('answers through the worker: inline pixels and a media id give the same text; Stop stops; a released id is refused', async (t) => {
    const r = await call(browser, 'answers', FILES);
    t.diagnostic(`answer: ${JSON.stringify(r.inline)}`);
    assert.deepEqual(r.states.filter((s, i, all) => s !== all[i - 1]), ['loading', 'ready']);
    assert.ok(r.logs.some((l) => /model ".*" loaded from the test model in \d+ ms on wasm/.test(l)), r.logs.join('\n'));
    assert.ok(r.inline.length > 10, `an answer: ${JSON.stringify(r.inline)}`);
    assert.equal(r.byId, r.inline, 'the image sent once and asked about by id');
    assert.equal(r.again, r.inline, 'asked about by id a second time');
    assert.ok(r.movedNotCopied, 'the pixels were moved to the worker');
    assert.equal(r.stopped, 'AbortError');
    assert.equal(r.tokensBeforeStop, 2, 'no token after the stop');
    assert.equal(r.stoppedAtLast, 'AbortError', 'stopped at the last token, after the worker had finished: still a stop');
    assert.match(r.released, /encoded by a model that has since been replaced|start a new chat/);
  });

  test('a worker script or onnxruntime binary that cannot be read fails the load with a message that names it', async () => {
    const script = await call(browser, 'missingScript', { ...FILES, workerScript: '/dist/no-such-worker.js' });
    assert.match(script.error, /The model at the test model could not be loaded: the engine's files could not be read \(engine-worker\.js: HTTP 404.*\); reinstall the extension/);
    assert.deepEqual(script.states, ['failed']);
    const binary = await call(browser, 'missingScript', { ...FILES, ortBinaries: { ...ORT_BINARIES, wasm: '/dist/ort/no-such.wasm' } });
    assert.match(binary.error, /The model at the test model could not be loaded: the engine's files could not be read \(the onnxruntime binary: HTTP 404.*\); reinstall the extension/);
    assert.equal(binary.states.at(-1), 'failed');
  });

  test('a worker that throws as it starts fails the load; the next configuration starts a working worker', async (t) => {
    const r = await call(browser, 'workerThrows', { ...FILES, workerScript: '/broken-worker.js' }, FILES);
    t.diagnostic(`error: ${r.error}`);
    assert.match(r.error, /the engine worker stopped: .*broken on purpose/);
    assert.ok(r.logs.some((l) => /the engine worker stopped/.test(l)), r.logs.join('\n'));
    assert.ok(r.text.length > 0, 'the new worker answers');
    assert.equal(r.states[0], 'failed');
    assert.equal(r.states.at(-1), 'ready');
  });

  test('the GPU process crashes mid-answer (a lost WebGPU device): that answer fails with a clear message, the model reloads on WASM and answers', async (t) => {
    const gpu = await openPage(`${server.origin}/index.html`, { webgpu: true });
    try {
      const loaded = await call(gpu, 'answerOnWebGpu', FILES);
      assert.ok(loaded.logs.some((l) => / loaded from .* on webgpu/.test(l)), loaded.logs.join('\n'));
      // A real crash of Chromium's GPU process (DevTools protocol); the page and its worker live on.
      await (await gpu.page.context().browser()!.newBrowserCDPSession()).send('Browser.crashGpuProcess');
      const r = await call(gpu, 'afterGpuLoss');
      t.diagnostic(r.logs.filter((l) => /lost|loaded/.test(l)).join(' | '));
      t.diagnostic(`the answer in flight: ${r.interrupted}`);
      assert.ok(r.logs.some((l) => /WebGPU device lost .*; reloading the model on WASM/.test(l)), r.logs.join('\n'));
      assert.ok(r.logs.some((l) => / loaded from .* on wasm/.test(l)), r.logs.join('\n'));
      assert.match(r.interrupted, /^failed: the GPU device was lost mid-answer \(.+\); Flamingo reloads the model on WebAssembly: ask again$/);
      assert.equal(r.states.at(-1), 'ready');
      assert.ok(r.text.length > 10, `an answer after the reload: ${JSON.stringify(r.text)}`);
    } finally {
      await gpu.close();
    }
  });
});
