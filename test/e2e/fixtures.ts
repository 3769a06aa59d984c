// Test inputs for the end-to-end suites: a model bundle built with the project's builder, images
// drawn with sharp, and the bad inputs the extension must refuse with a clear message.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { BrowserContext } from 'playwright-core';
import sharp from 'sharp';
import { REPO } from './harness';

const STORIES = join(REPO, '../shared/data/stories260K');
export const TRAINED_MODEL = join(REPO, 'models/flamingo-screens');

/** Why no model can be had for the e2e run, or undefined. */
export function missingModel(): string | undefined {
  if (existsSync(join(TRAINED_MODEL, 'manifest.json'))) return undefined;
  if (!existsSync(join(STORIES, 'stories260K.bin'))) return `neither ${TRAINED_MODEL} nor ${STORIES} exists`;
  return undefined;
}

/**
 * The model the tests run: the bundled trained model when it is there, else the stories260K LM
 * with untrained (zero-gated) vision layers, built with `build-model --llama2c`.
 */
export function testModel(dir: string): { path: string; trained: boolean } {
  if (existsSync(join(TRAINED_MODEL, 'manifest.json'))) return { path: TRAINED_MODEL, trained: true };
  const out = join(dir, 'stories260K-bundle');
  execFileSync(process.execPath, [join(REPO, 'dist/build-model.mjs'), '--llama2c', join(STORIES, 'stories260K.bin'),
    '--llama2c-tokenizer', join(STORIES, 'tok512.bin'), '--out', out], { stdio: 'pipe' });
  return { path: out, trained: false };
}

/** Long answers (what the model's context allows, up to 480 tokens), so there is time to stop, type or close mid-answer. */
export function longAnswerTokens(modelDir: string): number {
  const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as { config: { lm: { max_seq_len: number } } };
  return Math.min(480, manifest.config.lm.max_seq_len - 48);
}

/** How the model takes frames from a GIF or a recording: the bundle's preprocess settings. */
export function videoSampling(modelDir: string): { fps: number; maxFrames: number } {
  const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as { preprocess: { video_fps: number; max_frames: number } };
  return { fps: manifest.preprocess.video_fps, maxFrames: manifest.preprocess.max_frames };
}

/** A copy of a bundle whose decoder lost its second half. */
export function truncatedModel(model: string, dir: string): string {
  const out = join(dir, 'truncated-bundle');
  cpSync(model, out, { recursive: true });
  const decoder = join(out, 'decoder.onnx');
  truncateSync(decoder, Math.floor(statSync(decoder).size / 2));
  return out;
}

/** The greedy answer of the command line for an image (written to `image` first), prompt and token limit. */
export function cliAnswer(image: string, prompt: string, model: string, maxTokens: number, bytes: Uint8Array): { text: string; tokens: number } {
  writeFileSync(image, bytes);
  const out = execFileSync(process.execPath, [join(REPO, 'dist/cli.mjs'), 'describe', image, '--prompt', prompt, '--model', model,
    '--backend', 'wasm', '--max-tokens', String(maxTokens), '--temperature', '0', '--json'], { encoding: 'utf8' });
  const { text, tokens } = JSON.parse(out) as { text: string; tokens: number };
  return { text, tokens };
}

/** A real screenshot from samples/ when the checkout has it, else a drawn one. */
export async function sampleScreenshot(name: 'terminal-error.png' | 'login-form.png'): Promise<Buffer> {
  const path = join(REPO, 'samples', name);
  return existsSync(path) ? readFileSync(path) : screenshotPng();
}

/** A screenshot-like picture of a small form, as PNG. */
export function screenshotPng(): Promise<Buffer> {
  return sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400">
    <rect width="640" height="400" fill="#f3f3f3"/><rect width="640" height="36" fill="#2c2c32"/>
    <text x="16" y="24" font-family="sans-serif" font-size="16" fill="#fff">Settings</text>
    <text x="40" y="90" font-family="sans-serif" font-size="15">Email</text>
    <rect x="40" y="100" width="360" height="32" fill="#fff" stroke="#999"/>
    <rect x="40" y="160" width="120" height="36" rx="4" fill="#0e639c"/>
    <text x="74" y="184" font-family="sans-serif" font-size="15" fill="#fff">Save</text>
    <rect x="420" y="60" width="190" height="300" fill="#fff" stroke="#ccc"/>
    <text x="436" y="90" font-family="sans-serif" font-size="14" fill="#c00">Error: invalid email</text>
  </svg>`)).png().toBuffer();
}

/** A second, different picture (a dark code editor). */
export function secondPng(): Promise<Buffer> {
  return sharp({ create: { width: 480, height: 320, channels: 4, background: { r: 30, g: 30, b: 30, alpha: 1 } } })
    .composite([{ input: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="480" height="320"><text x="20" y="40" font-family="monospace" font-size="16" fill="#9cdcfe">const answer = 42;</text></svg>'), top: 0, left: 0 }])
    .png().toBuffer();
}

/** A small architecture diagram as SVG: three labelled nodes and two arrows. */
export const DIAGRAM_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="520" height="200" viewBox="0 0 520 200">
  <rect width="520" height="200" fill="#fff"/>
  <rect x="20" y="70" width="120" height="60" rx="8" fill="#dbeafe" stroke="#1d4ed8"/><text x="80" y="105" text-anchor="middle" font-family="sans-serif" font-size="16">Browser</text>
  <rect x="200" y="70" width="120" height="60" rx="8" fill="#dcfce7" stroke="#15803d"/><text x="260" y="105" text-anchor="middle" font-family="sans-serif" font-size="16">Server</text>
  <rect x="380" y="70" width="120" height="60" rx="8" fill="#fef9c3" stroke="#a16207"/><text x="440" y="105" text-anchor="middle" font-family="sans-serif" font-size="16">Database</text>
  <path d="M140 100 H200 M320 100 H380" stroke="#333" stroke-width="2"/>
</svg>`;

/** An SVG that would call `probe` if its script ran or its external image loaded. */
export function hostileSvg(probe: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="300" height="200">
  <script>fetch('${probe}/script-ran'); new Image().src = '${probe}/script-image';</script>
  <rect width="300" height="200" fill="#eee"/><image href="${probe}/external-image.png" xlink:href="${probe}/external-image.png" width="100" height="100"/>
  <text x="20" y="150" font-family="sans-serif" font-size="18">Login</text>
</svg>`;
}

/** A PNG whose image data stops half way (valid signature and header). */
export async function corruptPng(): Promise<Buffer> {
  const good = await screenshotPng();
  return Buffer.concat([good.subarray(0, 60), Buffer.alloc(200, 0x5a)]);
}

/** A valid 20000x20000 PNG (1-bit grey, a few hundred kB): 400 megapixels once decoded. */
export function hugePng(): Buffer {
  const width = 20000, height = 20000;
  const row = Buffer.alloc(1 + width / 8); // filter byte 0, then all-black pixels
  const raw = Buffer.alloc(row.length * height);
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; ihdr[9] = 0; // bit depth 1, greyscale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** An animated GIF of `frames` different frames (a box moving across, the frame number written), each shown for `delayMs`. */
export async function animatedGif(frames: number, delayMs: number): Promise<Buffer> {
  const width = 320, height = 200;
  const raws = await Promise.all(Array.from({ length: frames }, (_, i) => sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="${width}" height="${height}" fill="#1e1e1e"/><rect x="${10 + Math.round((i * 260) / frames)}" y="80" width="50" height="50" fill="#0e639c"/>
    <text x="16" y="36" font-family="sans-serif" font-size="22" fill="#fff">frame ${i + 1} of ${frames}</text>
  </svg>`)).ensureAlpha().raw().toBuffer()));
  return sharp(Buffer.concat(raws), { raw: { width, height: height * frames, channels: 4, pageHeight: height } })
    .gif({ delay: Array<number>(frames).fill(delayMs), loop: 0 }).toBuffer();
}

/** The MediaRecorder types tried, best first. */
export const WEBM_TYPES = ['video/webm;codecs=vp8', 'video/webm;codecs=vp9', 'video/webm'];
export const MP4_TYPES = ['video/mp4;codecs=avc1.42E01E', 'video/mp4;codecs=avc1', 'video/mp4;codecs=vp9', 'video/mp4;codecs=av01', 'video/mp4'];

export interface Recording { type: string; bytes: Buffer }

export interface Recordings {
  webm?: Recording;
  mp4?: Recording;
  /** For every type tried: whether this Chromium's MediaRecorder records it and a <video> plays it. */
  support: string;
}

/**
 * Records `ms` of an animated canvas with the browser's own MediaRecorder, as WebM and as MP4 at
 * the same time, each in the first type the browser both records and plays.
 */
export async function recordCanvas(context: BrowserContext, ms: number): Promise<Recordings> {
  const page = await context.newPage();
  try {
    await page.bringToFront(); // timers and canvas capture run at full rate in the front page
    const out = await page.evaluate(async ([duration, webmTypes, mp4Types]) => {
      const support = [...webmTypes, ...mp4Types].map((type) => ({
        type, record: MediaRecorder.isTypeSupported(type), play: document.createElement('video').canPlayType(type),
      }));
      const pick = (types: string[]) => support.find((s) => types.includes(s.type) && s.record && s.play !== '')?.type;
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 200;
      document.body.append(canvas);
      const ctx = canvas.getContext('2d')!;
      const start = performance.now();
      const draw = () => {
        const t = (performance.now() - start) / 1000;
        ctx.fillStyle = `hsl(${Math.round(t * 90) % 360} 60% 35%)`;
        ctx.fillRect(0, 0, 320, 200);
        ctx.fillStyle = '#fff';
        ctx.fillRect(20 + t * 80, 90, 40, 40);
        ctx.font = '22px sans-serif';
        ctx.fillText(`t = ${t.toFixed(1)} s`, 16, 36);
      };
      draw();
      const timer = setInterval(draw, 40);
      const stream = canvas.captureStream(25);
      const record = (type: string | undefined) => type === undefined ? Promise.resolve(undefined) : new Promise<{ type: string; base64: string }>((resolve, reject) => {
        const recorder = new MediaRecorder(stream, { mimeType: type });
        const chunks: Blob[] = [];
        recorder.ondataavailable = (e) => chunks.push(e.data);
        recorder.onerror = () => reject(new Error(`MediaRecorder failed for ${type}`));
        recorder.onstop = () => {
          const reader = new FileReader();
          reader.onload = () => resolve({ type, base64: (reader.result as string).replace(/^data:[^,]*,/, '') });
          reader.readAsDataURL(new Blob(chunks));
        };
        recorder.start();
        setTimeout(() => recorder.stop(), duration);
      });
      const [webm, mp4] = await Promise.all([record(pick(webmTypes)), record(pick(mp4Types))]);
      clearInterval(timer);
      return { webm, mp4, support: support.map((s) => `${s.type}: record ${s.record ? 'yes' : 'no'}, play ${s.play || 'no'}`).join('; ') };
    }, [ms, WEBM_TYPES, MP4_TYPES] as const);
    const bytes = (r: { type: string; base64: string } | undefined) => r && { type: r.type, bytes: Buffer.from(r.base64, 'base64') };
    return { webm: bytes(out.webm), mp4: bytes(out.mp4), support: out.support };
  } finally {
    await page.close();
  }
}
