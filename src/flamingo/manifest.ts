// The bundle manifest (docs/model-spec.md, section 6): types and validation of manifest.json.
import type { FlamingoConfig } from './config';
import { BundleError } from './errors';

export const BUNDLE_FORMAT = 'flamingo-bundle';
export const BUNDLE_VERSION = 1;

export interface SpecialTokens { bos: number; eos: number; pad: number; image: number; endofchunk: number }

export interface TilesSpec { rows: number; cols: number; global: boolean }

export interface PreprocessSpec {
  image_size: [number, number]; // [H, W]
  resize: 'letterbox' | 'stretch';
  pad_rgb: [number, number, number];
  mean: [number, number, number];
  std: [number, number, number];
  tiles: TilesSpec | null;
  max_frames: number;
  video_fps: number;
}

export interface GenerationDefaults {
  max_tokens: number; temperature: number; top_k: number; top_p: number;
  repetition_penalty: number;
  prompt: string; // template: "<image>" marks where the media go, "{prompt}" the person's text
  prompts?: Record<string, string>; // the task prompts the model was trained with, e.g. { describe: "Describe the screen." }
}

export interface FileEntry { size: number; sha256: string }

export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  version: number;
  name: string;
  description: string;
  config: FlamingoConfig;
  tokens: SpecialTokens;
  preprocess: PreprocessSpec;
  generation: GenerationDefaults;
  graphs: { vision: string; resampler: string; decoder: string };
  tokenizer: string;
  files: Record<string, FileEntry>;
}

/** Parses and checks manifest.json; throws a BundleError naming the first problem found. */
export function parseManifest(text: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BundleError('malformed-json', `manifest.json is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const m = object(json, 'manifest');
  if (m.format !== BUNDLE_FORMAT) {
    throw new BundleError('unknown-format', `manifest.json: format is ${JSON.stringify(m.format)}, expected "${BUNDLE_FORMAT}"`);
  }
  if (m.version !== BUNDLE_VERSION) {
    throw new BundleError('unsupported-version', `manifest.json: version ${JSON.stringify(m.version)} is not supported (this runtime reads version ${BUNDLE_VERSION})`);
  }
  string(m.name, 'name');
  if (m.description !== undefined) string(m.description, 'description');
  checkConfig(object(m.config, 'config'));
  const tokens = object(m.tokens, 'tokens');
  for (const k of ['bos', 'eos', 'pad', 'image', 'endofchunk']) integer(tokens[k], `tokens.${k}`);
  checkPreprocess(object(m.preprocess, 'preprocess'));
  const gen = object(m.generation, 'generation');
  for (const k of ['max_tokens', 'temperature', 'top_k', 'top_p', 'repetition_penalty']) number(gen[k], `generation.${k}`);
  string(gen.prompt, 'generation.prompt');
  if (gen.prompts !== undefined) {
    for (const [task, text] of Object.entries(object(gen.prompts, 'generation.prompts'))) string(text, `generation.prompts.${task}`);
  }
  checkConsistency(json as Manifest);

  const files = object(m.files, 'files');
  for (const [path, entry] of Object.entries(files)) {
    checkPath(path);
    const e = object(entry, `files["${path}"]`);
    integer(e.size, `files["${path}"].size`);
    if (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) {
      throw invalid(`files["${path}"].sha256 must be 64 lowercase hex digits`);
    }
  }
  const graphs = object(m.graphs, 'graphs');
  const needed = ['vision', 'resampler', 'decoder'].map((k) => string(graphs[k], `graphs.${k}`));
  needed.push(string(m.tokenizer, 'tokenizer'));
  for (const path of needed) {
    checkPath(path);
    if (!(path in files)) throw new BundleError('unlisted-file', `manifest.json: "${path}" is not listed in "files"`);
  }
  return json as Manifest;
}

/** Refuses absolute paths and paths with a ".." segment: every file must stay inside the bundle. */
export function checkPath(path: string): void {
  const segments = path.split(/[\\/]/);
  if (path === '' || /^[\\/]/.test(path) || /^[a-zA-Z]:/.test(path) || segments.some((s) => s === '..')) {
    throw new BundleError('unsafe-path', `manifest.json: path "${path}" leaves the bundle folder`);
  }
}

/** The sections must agree with each other: image size, special tokens, frames per media item. */
function checkConsistency(m: Manifest): void {
  const [h, w] = m.config.vision.image_size;
  if (m.preprocess.image_size[0] !== h || m.preprocess.image_size[1] !== w) {
    throw invalid(`preprocess.image_size [${m.preprocess.image_size}] differs from config.vision.image_size [${h}, ${w}]`);
  }
  for (const [name, id] of Object.entries(m.tokens)) {
    if (id >= m.config.lm.vocab_size) throw invalid(`tokens.${name} = ${id} is outside the vocabulary (lm.vocab_size ${m.config.lm.vocab_size})`);
  }
  const maxFrames = m.config.resampler.max_frames;
  const tiles = m.preprocess.tiles;
  const frames = tiles ? (tiles.global ? 1 : 0) + tiles.rows * tiles.cols : 1;
  if (maxFrames > 0 && Math.max(frames, m.preprocess.max_frames) > maxFrames) {
    throw invalid(`preprocess makes up to ${Math.max(frames, m.preprocess.max_frames)} frames per media item, config.resampler.max_frames is ${maxFrames}`);
  }
}

function checkConfig(c: Record<string, unknown>): void {
  const vision = object(c.vision, 'config.vision');
  if (vision.type !== 'nfnet' && vision.type !== 'vit') throw invalid('config.vision.type must be "nfnet" or "vit"');
  object(vision[vision.type], `config.vision.${vision.type}`);
  pair(vision.image_size, 'config.vision.image_size');
  const resampler = object(c.resampler, 'config.resampler');
  for (const k of ['depth', 'heads', 'head_dim', 'num_latents', 'max_frames']) integer(resampler[k], `config.resampler.${k}`);
  const lm = object(c.lm, 'config.lm');
  for (const k of ['dim', 'hidden_dim', 'n_layers', 'n_heads', 'n_kv_heads', 'vocab_size', 'max_seq_len']) integer(lm[k], `config.lm.${k}`);
  const xattn = object(c.xattn, 'config.xattn');
  for (const k of ['every', 'heads', 'head_dim']) integer(xattn[k], `config.xattn.${k}`);
}

function checkPreprocess(p: Record<string, unknown>): void {
  pair(p.image_size, 'preprocess.image_size');
  if (p.resize !== 'letterbox' && p.resize !== 'stretch') throw invalid('preprocess.resize must be "letterbox" or "stretch"');
  for (const k of ['pad_rgb', 'mean', 'std']) {
    const v = p[k];
    if (!Array.isArray(v) || v.length !== 3 || v.some((x) => typeof x !== 'number')) throw invalid(`preprocess.${k} must be 3 numbers`);
  }
  if ((p.std as number[]).some((x) => x === 0)) throw invalid('preprocess.std must not contain 0');
  if (p.tiles !== null && p.tiles !== undefined) {
    const t = object(p.tiles, 'preprocess.tiles');
    integer(t.rows, 'preprocess.tiles.rows');
    integer(t.cols, 'preprocess.tiles.cols');
    if (typeof t.global !== 'boolean') throw invalid('preprocess.tiles.global must be true or false');
  }
  integer(p.max_frames, 'preprocess.max_frames');
  number(p.video_fps, 'preprocess.video_fps');
}

function invalid(message: string): BundleError {
  return new BundleError('invalid-manifest', `manifest.json: ${message}`);
}
function object(v: unknown, name: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`"${name}" must be an object`);
  return v as Record<string, unknown>;
}
function string(v: unknown, name: string): string {
  if (typeof v !== 'string') throw invalid(`"${name}" must be a string`);
  return v;
}
function number(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`"${name}" must be a number`);
  return v;
}
function integer(v: unknown, name: string): number {
  if (!Number.isInteger(v) || (v as number) < 0) throw invalid(`"${name}" must be a non-negative integer`);
  return v as number;
}
function pair(v: unknown, name: string): void {
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => !Number.isInteger(x) || x <= 0)) {
    throw invalid(`"${name}" must be [H, W], two positive integers`);
  }
}
