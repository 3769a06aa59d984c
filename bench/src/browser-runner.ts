// Runs the stage measurements inside Debian's Chromium (playwright-core): onnxruntime-web WASM
// and WebGPU (SwiftShader here: a software GPU, reported for correctness and overhead).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { loadavg } from 'node:os';
import { extname, relative, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { ModelCase } from './models';
import type { Plan } from './main';
import type { StageResults } from './stages';

export interface BrowserRun {
  backend: 'wasm' | 'webgpu';
  result?: Omit<StageResults, 'pixels'> & { adapter: string; threads: number; crossOriginIsolated: boolean };
  error?: string;
  retriedAfter?: string; // the error of a first attempt that crashed
  loadBefore: number;
  loadAfter: number;
  wallS: number;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json',
  '.png': 'image/png', '.html': 'text/html' };
const PAGE = '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="/out/bench/browser.js"></script>';

/** Serves the repository folder read-only, cross-origin isolated, on 127.0.0.1. */
function serve(root: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    if (path === '/bench.html') { res.setHeader('Content-Type', 'text/html'); res.end(PAGE); return; }
    if (path === '/favicon.ico') { res.statusCode = 204; res.end(); return; }
    const file = resolve(root, `.${path}`);
    if (relative(root, file).startsWith('..') || !existsSync(file) || !statSync(file).isFile()) { res.statusCode = 404; res.end(); return; }
    res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, port: (server.address() as { port: number }).port })));
}

export async function runBrowser(model: ModelCase, images: string[], matmulFile: string, matmulFlops: number, plan: Plan, timeoutS: number,
  log: (s: string) => void): Promise<BrowserRun[]> {
  const { server, port } = await serve(process.cwd());
  const runs: BrowserRun[] = [];
  try {
    for (const backend of plan.browserBackends) {
      const loadBefore = loadavg()[0];
      const started = performance.now();
      // SwiftShader takes seconds per vision run and half a second per token: one run, fewer tokens and contexts.
      const gpu = backend === 'webgpu';
      const query = new URLSearchParams({
        backend, bundle: `/${model.bundleDir}/`, images: images.map((p) => `/${p}`).join(','), matmul: `/${matmulFile}`, flops: String(matmulFlops),
        contexts: (gpu ? plan.contexts.filter((c) => c === 32 || c === 512) : plan.contexts).join(','),
        warmup: String(gpu ? 1 : plan.warmup), reps: String(gpu ? 1 : plan.reps), tokens: String(gpu ? Math.min(8, plan.tokens) : plan.tokens),
      });
      const url = `http://127.0.0.1:${port}/bench.html?${query}`;
      log(`chromium ${backend}: ${model.key}`);
      let run = await attempt(url, timeoutS);
      if (run.crashed) { // a crashed page or browser (seen once with SwiftShader) gets one more try in a fresh browser
        log(`  the browser went away (${run.error}); one more try`);
        const again = await attempt(url, timeoutS);
        run = { ...again, retried: run.error };
      }
      const wallS = (performance.now() - started) / 1000;
      log(`  done in ${wallS.toFixed(0)} s`);
      runs.push({ backend, result: run.result, error: run.error, retriedAfter: run.retried, loadBefore, loadAfter: loadavg()[0], wallS });
    }
  } finally {
    server.close();
  }
  return runs;
}

/** One page load in a fresh browser, until the page reports (or the timeout). */
async function attempt(url: string, timeoutS: number): Promise<Pick<BrowserRun, 'result' | 'error'> & { crashed?: boolean; retried?: string }> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', ignoreDefaultArgs: ['--headless'],
    args: ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--enable-unsafe-webgpu'],
  });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.error(`  [chromium] ${m.text()}`));
    await page.goto(url);
    const handle = await page.waitForFunction(() => window.__bench, undefined, { timeout: timeoutS * 1000, polling: 500 });
    const out = (await handle.jsonValue()) as { ok: true; result: BrowserRun['result'] } | { ok: false; error: string };
    return out.ok ? { result: out.result } : { error: out.error.split('\n')[0] };
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    return { error: message, crashed: /closed|crash/i.test(message) };
  } finally {
    await browser.close().catch(() => undefined);
  }
}
