// The page of test/browser/engine-worker.test.ts: the webview's EngineWorker (src/webview/
// engineWorker.ts) driving the real worker bundle (dist/engine-worker.js) in Chromium.
import { applyTemplate, type RgbaImage } from '../../../src/flamingo/index';
import type { EngineFiles, EngineState } from '../../../src/extension/protocol';
import { EngineWorker } from '../../../src/webview/engineWorker';
import type { WireSegment } from '../../../src/webview/worker/protocol';

const MODEL = { baseUri: '/model/', label: 'the test model' };
const PROMPT = 'Describe the screen.';

function engine(): { e: EngineWorker; states: string[]; logs: string[] } {
  const states: string[] = [], logs: string[] = [];
  const e = new EngineWorker({ state: (s: EngineState) => states.push(s.state), log: (l) => logs.push(l) });
  return { e, states, logs };
}

async function decodePng(url: string): Promise<RgbaImage> {
  const bitmap = await createImageBitmap(await (await fetch(url)).blob(), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  return { width: bitmap.width, height: bitmap.height, data: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data };
}

/** The whole answer to `segments`, or what stopped it. */
async function answer(e: EngineWorker, segments: WireSegment[], maxTokens = 24): Promise<string> {
  let text = '';
  await e.generate(segments, { maxTokens, temperature: 0, signal: new AbortController().signal, onToken: (t) => { text += t; } });
  return text;
}

/** The engine and answer of answerOnWebGpu, kept for afterGpuLoss: the GPU process is crashed from outside, between them. */
let onGpu: ReturnType<typeof engine> | undefined;
let inFlight: Promise<string> | undefined;

const harness = {
  /** One image asked about inline and by media id; a cancel mid-answer; a released id. */
  async answers(files: EngineFiles) {
    const { e, states, logs } = engine();
    e.configure({ model: MODEL, backend: 'wasm', files });
    const model = await e.loaded();
    const template = model.manifest.generation.prompt;
    const shot = await decodePng('/png/terminal-error.png');
    const copy = { ...shot, data: shot.data.slice() };
    const inline = await answer(e, applyTemplate(template, [{ type: 'image', image: shot }], PROMPT));
    const movedNotCopied = shot.data.byteLength === 0;
    const id = await e.encodeMedia([copy]);
    const byId = await answer(e, applyTemplate(template, [{ type: 'media', media: id }], PROMPT));
    const again = await answer(e, applyTemplate(template, [{ type: 'media', media: id }], PROMPT));

    const stop = new AbortController();
    let tokensBeforeStop = 0;
    const stopped = await e.generate(applyTemplate(template, [{ type: 'media', media: id }], PROMPT), {
      maxTokens: 64, temperature: 0, signal: stop.signal, onToken: () => { if (++tokensBeforeStop === 2) stop.abort(); },
    }).then(() => 'finished', (err: Error) => err.name);

    // Stop pressed at the last token: the worker has finished before it sees the cancel.
    const late = new AbortController();
    let tokens = 0;
    const stoppedAtLast = await e.generate(applyTemplate(template, [{ type: 'media', media: id }], PROMPT), {
      maxTokens: 4, temperature: 0, signal: late.signal, onToken: () => { if (++tokens === 4) late.abort(); },
    }).then(() => 'finished', (err: Error) => err.name);

    e.release([id]);
    const released = await answer(e, [{ type: 'media', media: id }]).then(() => 'answered', (err: Error) => err.message);
    return { inline, byId, again, movedNotCopied, stopped, tokensBeforeStop, stoppedAtLast, released, states, logs };
  },

  /** A load whose worker script or onnxruntime binary cannot be read. */
  async missingScript(files: EngineFiles) {
    const { e, states } = engine();
    e.configure({ model: MODEL, backend: 'wasm', files });
    const error = await e.loaded().then(() => 'loaded', (err: Error) => err.message);
    return { error, states };
  },

  /** A worker that throws as it starts; then the next request starts a working one. */
  async workerThrows(broken: EngineFiles, working: EngineFiles) {
    const { e, states, logs } = engine();
    e.configure({ model: MODEL, backend: 'wasm', files: broken });
    const error = await e.loaded().then(() => 'loaded', (err: Error) => err.message);
    e.configure({ model: MODEL, backend: 'wasm', files: working }); // the same model and backend: only the dead worker makes it load
    const model = await e.loaded();
    const text = await answer(e, applyTemplate(model.manifest.generation.prompt, [{ type: 'image', image: await decodePng('/png/terminal-error.png') }], PROMPT), 8);
    return { error, text, states, logs };
  },

  /** Loads on WebGPU and starts an answer; resolves at its first token. */
  async answerOnWebGpu(files: EngineFiles) {
    onGpu = engine();
    const { e, logs } = onGpu;
    e.configure({ model: MODEL, backend: 'webgpu', files });
    const model = await e.loaded();
    let firstToken: () => void;
    const started = new Promise<void>((resolve) => { firstToken = resolve; });
    let text = '';
    inFlight = e.generate(applyTemplate(model.manifest.generation.prompt, [{ type: 'image', image: await decodePng('/png/terminal-error.png') }], PROMPT), {
      maxTokens: 64, temperature: 0, signal: new AbortController().signal, onToken: (t) => { text += t; firstToken(); },
    }).then(() => `finished: ${text}`, (err: Error) => `failed: ${err.message}`);
    await started;
    return { logs };
  },
  /** After the device is lost: how the answer in flight ended; waits for the reload, then answers. */
  async afterGpuLoss() {
    const { e, logs, states } = onGpu!;
    const interrupted = await Promise.race([inFlight!, new Promise<string>((r) => setTimeout(() => r('still running after 60 s'), 60_000))]);
    for (let i = 0; i < 600 && !logs.some((l) => / loaded from .* on wasm/.test(l)); i++) await new Promise((r) => setTimeout(r, 100));
    const model = await e.loaded();
    const text = await answer(e, applyTemplate(model.manifest.generation.prompt, [{ type: 'image', image: await decodePng('/png/terminal-error.png') }], PROMPT));
    return { logs, states, text, interrupted };
  },
};

export type WorkerHarness = typeof harness;
(globalThis as unknown as { harness: WorkerHarness }).harness = harness;
