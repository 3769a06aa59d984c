// The engine in a real browser: Debian Chromium runs src/flamingo on the webview's
// onnxruntime-web builds, once with --enable-unsafe-webgpu (SwiftShader adapter: backend
// webgpu, onnxruntime-web/webgpu) and once without (backend wasm, onnxruntime-web/wasm). On bundles made by the project's builder, its
// greedy tokens must equal onnxruntime-node's in Node for the same prompts: stories260K (a
// real LM, zero gates) must say its README's text, and a random Flamingo with nonzero gates
// gets two interleaved images. PNGs decode in the page with createImageBitmap + OffscreenCanvas
// and must give sharp's pixels. Tokens per second are logged, not asserted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import sharp from 'sharp';
import { FlamingoModel, loadBundle } from '../../src/flamingo';
import type { FlamingoConfig } from '../../src/flamingo/config';
import { folderSource } from '../../src/node/files';
import { decodeImage } from '../../src/node/images';
import { loadOrt } from '../../src/node/ort';
import { callHarness, CHROMIUM, openPage, type BrowserPage } from './chromium';
import type { Harness } from './harness/main';
import { greedy, type DecodePng, type GreedyResult, type PromptSpec } from './harness/scenario';
import { serve, type StaticServer } from './server';

const DATA = '../shared/data/stories260K';
const BUILDER = 'dist/build-model.mjs';
const storiesPresent = ['stories260K.bin', 'tok512.bin', 'README.md'].every((f) => existsSync(`${DATA}/${f}`));
const skip = !existsSync(CHROMIUM) ? `skipped: ${CHROMIUM} is absent (apt-get install chromium)`
  : !storiesPresent ? `skipped: ${DATA} (relative to the repository root) is absent`
    : !existsSync(BUILDER) ? `skipped: ${BUILDER} is not built (run node esbuild.mjs)` : false;

/**
 * A small Flamingo with random weights (gates 0.5: the images change the tokens); a gated block
 * before every second layer. Untied: with random tied embeddings greedy decoding only repeats
 * the prompt's last token.
 */
const RANDOM_CONFIG: FlamingoConfig = {
  vision: { type: 'nfnet', image_size: [64, 64],
    nfnet: { stem: [{ channels: 16, kernel: 4, stride: 4 }], stages: [{ channels: 32, blocks: 1, stride: 2 }], alpha: 0.2, pos_embed: true } },
  resampler: { depth: 2, heads: 4, head_dim: 8, num_latents: 8, ff_mult: 2, max_frames: 4, ln_eps: 1e-5 },
  lm: { dim: 64, hidden_dim: 172, n_layers: 4, n_heads: 8, n_kv_heads: 4, vocab_size: 300, max_seq_len: 128, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: false },
  xattn: { every: 2, heads: 4, head_dim: 16, ff_mult: 2, ln_eps: 1e-5 },
};

const PNGS = ['wide.png', 'tall-rgb.png'];
const PROVIDERS = ['webgpu', 'wasm']; // what the webview asks for
const STORIES: PromptSpec = { bosImage: 'wide.png' };
const STORIES_TOKENS = 64; // the README text is 61 tokens
const INTERLEAVED: PromptSpec = { segments: [
  { type: 'text', text: 'Look:' }, { type: 'image', png: 'wide.png' }, { type: 'answer', text: 'a chart' },
  { type: 'image', png: 'tall-rgb.png' }, { type: 'text', text: 'and this one?' },
] };
const SWAPPED: PromptSpec = { segments: INTERLEAVED.segments.map((s) => (s.type !== 'image' ? s : { ...s, png: s.png === 'wide.png' ? 'tall-rgb.png' : 'wide.png' })) };
const INTERLEAVED_TOKENS = 24;
// The shipped model on a real screenshot, as the paste command asks it (its prompt template).
const SCREENS = 'models/flamingo-screens';
const SCREENSHOT: PromptSpec = { segments: [{ type: 'image', png: 'terminal-error.png' }, { type: 'text', text: 'Describe the screen.\n' }] };
const SCREENSHOT_TOKENS = 16;
// A prompt of 72 tokens. onnxruntime-web's WebGPU MultiHeadAttention is wrong from 32 query rows
// on in the form the resampler used (src/builder/layers.ts); the decoder's calls (keys and
// values per head, a bias) are not, and a prefill this long checks that they stay so.
const LONG_PROMPT: PromptSpec = { segments: [{ type: 'text', text: 'Screens: here is one screenshot from the terminal window on my laptop, taken a minute ago while the build was running; please look at it closely' }, ...SCREENSHOT.segments] };

/** The README's indented block: what greedy decoding from BOS must say. */
function readmeText(): string {
  const lines = readFileSync(`${DATA}/README.md`, 'utf8').split('\n').filter((l) => l.startsWith('    '));
  assert.equal(lines.length, 1, 'the README should hold one indented block of one line');
  return lines[0].trim();
}

/** Deterministic pixels with edges, gradients and noise, so a decoding or resizing slip changes them. */
function pattern(width: number, height: number, channels: 3 | 4, seed: number): Buffer {
  const data = Buffer.alloc(width * height * channels);
  let state = seed;
  const noise = () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 24) & 31;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dark = x > width / 4 && x < width / 2 && y > height / 3 && y < (2 * height) / 3;
      const rgb = dark ? [20, 20, 20] : [(x * 255) / width, (y * 255) / height, (seed * 97) % 200];
      const at = (y * width + x) * channels;
      for (let c = 0; c < 3; c++) data[at + c] = Math.min(255, Math.round(rgb[c]) + noise());
      if (channels === 4) data[at + 3] = 255;
    }
  }
  return data;
}

async function writePngs(dir: string): Promise<void> {
  mkdirSync(dir);
  await sharp(pattern(150, 90, 4, 1), { raw: { width: 150, height: 90, channels: 4 } }).png().toFile(join(dir, PNGS[0]));
  await sharp(pattern(23, 57, 3, 2), { raw: { width: 23, height: 57, channels: 3 } }).png().toFile(join(dir, PNGS[1]));
  copyFileSync('samples/terminal-error.png', join(dir, 'terminal-error.png'));
}

function buildBundles(dir: string): void {
  const build = (...args: string[]) => execFileSync(process.execPath, [BUILDER, ...args], { stdio: 'pipe' });
  build('--llama2c', `${DATA}/stories260K.bin`, '--llama2c-tokenizer', `${DATA}/tok512.bin`, '--xattn-every', '1', '--seed', '1', '--out', join(dir, 'stories'));
  writeFileSync(join(dir, 'random-config.json'), JSON.stringify(RANDOM_CONFIG));
  build('--random', join(dir, 'random-config.json'), '--seed', '1', '--out', join(dir, 'random'));
}

/** The page script: the harness with the engine and onnxruntime-web's two builds bundled in. */
async function bundleHarness(): Promise<Uint8Array> {
  const { outputFiles } = await esbuild.build({
    entryPoints: ['test/browser/harness/main.ts'], bundle: true, format: 'esm', platform: 'browser', target: 'chrome120',
    write: false, logLevel: 'error',
  });
  return outputFiles[0].contents;
}

type Reference = GreedyResult & { text: string };

/** Greedy tokens (and their text) from onnxruntime-node in Node, images decoded by sharp. */
async function nodeReference(bundle: string, pngDir: string, prompts: Record<string, [PromptSpec, number]>): Promise<Record<string, Reference>> {
  const model = await FlamingoModel.create(await loadBundle(folderSource(bundle)), await loadOrt('node'));
  const decode: DecodePng = async (png) => (await decodeImage(readFileSync(join(pngDir, png)), { name: png })).frames[0];
  try {
    const out: Record<string, Reference> = {};
    for (const [name, [spec, maxTokens]] of Object.entries(prompts)) {
      const result = await greedy(model, spec, decode, maxTokens);
      out[name] = { ...result, text: model.tokenizer.decode(result.tokens) };
    }
    return out;
  } finally {
    await model.dispose();
  }
}

/** Calls a harness function in the page; a failure carries the page's log. */
const call = <K extends keyof Harness>(b: BrowserPage, name: K, ...args: Parameters<Harness[K]>) =>
  callHarness(b, name, args) as Promise<Awaited<ReturnType<Harness[K]>>>;

function speed(r: GreedyResult): string {
  const t = r.timings;
  return `${t.generatedTokens} tokens, ${t.tokensPerSecond.toFixed(1)} tokens/s (prompt ${t.promptTokens} tokens: prefill ${t.prefillMs.toFixed(0)} ms; decode ${t.decodeMs.toFixed(0)} ms)`;
}

describe('the engine in Chromium', { skip, timeout: 240_000 }, () => {
  let dir: string;
  let server: StaticServer;
  let expected: Record<string, Reference>;
  let screenshotLatents: Float32Array;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flamingo-browser-'));
    buildBundles(dir);
    await writePngs(join(dir, 'png'));
    server = await serve({
      pages: {
        '/index.html': '<!doctype html><meta charset="utf-8"><title>flamingo engine harness</title><script type="module" src="/harness.js"></script>',
        '/harness.js': await bundleHarness(),
      },
      folders: { '/ort/': 'node_modules/onnxruntime-web/dist', '/bundles/screens/': SCREENS, '/bundles/': dir, '/png/': join(dir, 'png') },
    });
    expected = {
      ...await nodeReference(join(dir, 'stories'), join(dir, 'png'), { stories: [STORIES, STORIES_TOKENS] }),
      ...await nodeReference(join(dir, 'random'), join(dir, 'png'), { interleaved: [INTERLEAVED, INTERLEAVED_TOKENS], swapped: [SWAPPED, INTERLEAVED_TOKENS] }),
      ...await nodeReference(SCREENS, join(dir, 'png'), { screenshot: [SCREENSHOT, SCREENSHOT_TOKENS], long: [LONG_PROMPT, SCREENSHOT_TOKENS] }),
    };
    const screens = await FlamingoModel.create(await loadBundle(folderSource(SCREENS)), await loadOrt('node'));
    const { frames: [shot] } = await decodeImage(readFileSync(join(dir, 'png', 'terminal-error.png')));
    screenshotLatents = (await screens.encodeMedia([shot])).latents;
    await screens.dispose();
  });

  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('onnxruntime-node: stories260K says the README text; the random model\'s tokens depend on its images', (t) => {
    const { stories, interleaved, swapped } = expected;
    t.diagnostic(`onnxruntime-node stories260K: ${speed(stories)}`);
    t.diagnostic(`onnxruntime-node random Flamingo: ${speed(interleaved)}`);
    assert.ok(interleaved.tokens.length >= 8, `the comparison needs tokens before a stop token, got ${interleaved.tokens.length}`);
    assert.notDeepEqual(swapped.tokens, interleaved.tokens, 'swapping the two images must change the tokens (gates are nonzero)');
    assert.ok(stories.text.startsWith(readmeText()), `stories260K said: ${stories.text}`);
  });

  for (const webgpu of [true, false]) {
    const want = webgpu ? 'webgpu' : 'wasm';
    describe(webgpu ? 'with --enable-unsafe-webgpu' : 'without WebGPU', () => {
      let browser: BrowserPage;
      before(async () => { browser = await openPage(`${server.origin}/index.html`, { webgpu }); });
      after(async () => { await browser?.close(); });

      test(webgpu ? 'a WebGPU adapter is offered' : 'no WebGPU adapter is offered', async (t) => {
        const adapter = await call(browser, 'adapter');
        t.diagnostic(`adapter: ${JSON.stringify(adapter)}`);
        if (webgpu) assert.ok(adapter, 'requestAdapter() returned null despite --enable-unsafe-webgpu');
        else assert.equal(adapter, null);
        assert.equal(await browser.page.evaluate(() => crossOriginIsolated), true, 'the page must be cross-origin isolated (WASM threads)');
      });

      test('PNGs decode to the same RGBA as sharp', async () => {
        for (const png of PNGS) {
          const { frames: [node] } = await decodeImage(readFileSync(join(dir, 'png', png)));
          const page = await call(browser, 'decodePng', png);
          assert.deepEqual([page.width, page.height], [node.width, node.height], png);
          const differing = page.data.filter((v, i) => v !== node.data[i]).length;
          assert.equal(differing, 0, `${png}: ${differing} of ${node.data.length} bytes differ`);
        }
      });

      test(`stories260K (zero gates, BOS carrying an image): backend ${want}, onnxruntime-node's tokens (the README text)`, async (t) => {
        const { backend, threads } = await call(browser, 'open', 'stories', PROVIDERS, want);
        assert.equal(backend, want);
        const got = await call(browser, 'greedy', STORIES, STORIES_TOKENS);
        t.diagnostic(`${backend} (${threads} WASM threads) stories260K: ${speed(got)}`);
        assert.deepEqual(got.tokens, expected.stories.tokens);
      });

      test(`random Flamingo, two interleaved images, gates 0.5: backend ${want}, onnxruntime-node's tokens`, async (t) => {
        const { backend } = await call(browser, 'open', 'random', PROVIDERS, want);
        assert.equal(backend, want);
        const got = await call(browser, 'greedy', INTERLEAVED, INTERLEAVED_TOKENS);
        t.diagnostic(`${backend} random Flamingo: ${speed(got)}`);
        assert.deepEqual(got.tokens, expected.interleaved.tokens);
      });

      // On the random model the previous test opened.
      test('an AbortSignal stops generation within one step, with an AbortError', async () => {
        const { seen, abortedMidway, abortedBefore } = await call(browser, 'cancel', INTERLEAVED, 3);
        assert.deepEqual({ seen, abortedMidway, abortedBefore }, { seen: 3, abortedMidway: 'AbortError', abortedBefore: 'AbortError' });
      });

      test(`the shipped model on a real screenshot (5 frames of 256x384): backend ${want}, onnxruntime-node's tokens`, async (t) => {
        const { backend } = await call(browser, 'open', 'screens', PROVIDERS, want);
        assert.equal(backend, want);
        const latents = await call(browser, 'latents', 'terminal-error.png');
        const diff = Math.max(...latents.map((v, i) => Math.abs(v - screenshotLatents[i])));
        t.diagnostic(`${backend} flamingo-screens: media latents within ${diff.toExponential(2)} of onnxruntime-node's`);
        assert.ok(diff <= 1e-3, `media latents differ from onnxruntime-node's by ${diff}`);
        const got = await call(browser, 'greedy', SCREENSHOT, SCREENSHOT_TOKENS);
        t.diagnostic(`${backend} flamingo-screens: ${speed(got)}`);
        assert.deepEqual(got.tokens, expected.screenshot.tokens, `onnxruntime-node: ${JSON.stringify(expected.screenshot.text)}`);
      });

      test(`the shipped model, a prompt of over 32 tokens: backend ${want}, onnxruntime-node's tokens`, async (t) => {
        const got = await call(browser, 'greedy', LONG_PROMPT, SCREENSHOT_TOKENS);
        t.diagnostic(`${want} flamingo-screens: ${speed(got)}`);
        assert.ok(got.timings.promptTokens >= 32, `the prompt has ${got.timings.promptTokens} tokens`);
        assert.deepEqual(got.tokens, expected.long.tokens, `onnxruntime-node: ${JSON.stringify(expected.long.text)}`);
      });

      test(`the shipped model as the webview places it (decoder on ${webgpu ? 'WASM beside WebGPU: a small decoder' : 'WASM'}): onnxruntime-node's tokens`, async (t) => {
        const { backend, decoderBackend } = await call(browser, 'open', 'screens', PROVIDERS);
        assert.deepEqual([backend, decoderBackend], [want, 'wasm']);
        const got = await call(browser, 'greedy', SCREENSHOT, SCREENSHOT_TOKENS);
        t.diagnostic(`${backend} + ${decoderBackend} decoder flamingo-screens: ${speed(got)}`);
        assert.deepEqual(got.tokens, expected.screenshot.tokens, `onnxruntime-node: ${JSON.stringify(expected.screenshot.text)}`);
      });
    });
  }
});
