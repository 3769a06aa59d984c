// Where a bundle's weights come from: a weights folder (model-spec §8), a llama2.c checkpoint
// extended with fresh vision, resampler and gated cross-attention weights (gates 0), or random
// weights for benchmarks. Each returns everything writeBundle needs.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FlamingoConfig, ResamplerConfig, VisionConfig, XattnConfig } from '../flamingo/config';
import type { GenerationDefaults, PreprocessSpec, SpecialTokens } from '../flamingo/manifest';
import type { BundleInput } from './bundle';
import { byteLevelTokenizerJson, byteLevelTokens } from './byte-tokenizer';
import { FLAMINGO_SPECIAL_TOKENS, addSpecialTokenRows, llama2cTokenizerJson, readLlama2cCheckpoint } from './llama2c';
import { randomVisionResamplerXattn, randomWeights } from './random-weights';
import { readSafetensors } from './safetensors';

/** Vision, resampler and cross-attention for an imported LM unless --vision gives others. */
export const DEFAULT_VISION: VisionConfig = {
  type: 'nfnet', image_size: [128, 128],
  nfnet: { stem: [{ channels: 16, kernel: 4, stride: 4 }], stages: [{ channels: 32, blocks: 1, stride: 2 }, { channels: 64, blocks: 1, stride: 2 }],
    alpha: 0.2, pos_embed: true },
};
export const DEFAULT_RESAMPLER: ResamplerConfig = { depth: 2, heads: 4, head_dim: 16, num_latents: 16, ff_mult: 2, max_frames: 8, ln_eps: 1e-5 };
export const DEFAULT_XATTN: XattnConfig = { every: 1, heads: 4, head_dim: 16, ff_mult: 2, ln_eps: 1e-5 };
const DEFAULT_GENERATION: GenerationDefaults = {
  max_tokens: 128, temperature: 0, top_k: 0, top_p: 1, repetition_penalty: 1, prompt: '<image>{prompt}',
};

function preprocessFor(config: FlamingoConfig): PreprocessSpec {
  return {
    image_size: config.vision.image_size, resize: 'letterbox', pad_rgb: [255, 255, 255],
    mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], tiles: null,
    max_frames: Math.max(1, config.resampler.max_frames), video_fps: 1,
  };
}

export function fromWeightsFolder(dir: string): BundleInput {
  const config = readJson(join(dir, 'config.json')) as FlamingoConfig;
  const meta = readJson(join(dir, 'bundle.json')) as Pick<BundleInput, 'name' | 'description' | 'tokens' | 'preprocess' | 'generation'>;
  return {
    ...meta, config,
    weights: readSafetensors(readFileSync(join(dir, 'model.safetensors'))),
    tokenizerJson: readFileSync(join(dir, 'tokenizer.json'), 'utf8'),
  };
}

export interface Llama2cOptions {
  xattnEvery?: number; // replaces xattn.every (0 = a plain LM)
  visionJson?: string; // a JSON file with "vision", "resampler", "xattn" objects replacing the defaults
  seed: number; // of the fresh weights
}

export function fromLlama2c(ckptPath: string, tokPath: string, opts: Llama2cOptions): BundleInput {
  const { xattnEvery: every, visionJson, seed } = opts;
  const { lm, weights: lmWeights } = readLlama2cCheckpoint(readFileSync(ckptPath));
  const originalVocab = lm.vocab_size;
  const tokenizerJson = llama2cTokenizerJson(readFileSync(tokPath), originalVocab, FLAMINGO_SPECIAL_TOKENS);
  lm.vocab_size += FLAMINGO_SPECIAL_TOKENS.length;
  const overrides = (visionJson ? readJson(visionJson) : {}) as Partial<FlamingoConfig>;
  const config: FlamingoConfig = {
    vision: overrides.vision ?? DEFAULT_VISION,
    resampler: overrides.resampler ?? DEFAULT_RESAMPLER,
    lm,
    xattn: { ...(overrides.xattn ?? DEFAULT_XATTN), ...(every !== undefined ? { every } : {}) },
  };
  const weights = new Map([...addSpecialTokenRows(lmWeights, FLAMINGO_SPECIAL_TOKENS.length), ...randomVisionResamplerXattn(config, seed)]);
  const tokens: SpecialTokens = { pad: 0, bos: 1, eos: 2, image: originalVocab, endofchunk: originalVocab + 1 };
  const gated = config.xattn.every ? `gated cross-attention every ${config.xattn.every} layers, gates 0` : 'no cross-attention';
  return {
    name: ckptPath.split(/[\\/]/).pop()!.replace(/\.bin$/, ''),
    description: `llama2.c LM ${ckptPath.split(/[\\/]/).pop()} with untrained vision and resampler (seed ${seed}); ${gated}`,
    config, weights, tokenizerJson, tokens, preprocess: preprocessFor(config), generation: DEFAULT_GENERATION,
  };
}

export function fromRandom(configPath: string, seed: number, tokenizerPath: string | undefined): BundleInput {
  const config = readJson(configPath) as FlamingoConfig;
  const vocab = config.lm.vocab_size;
  const tokens: SpecialTokens = tokenizerPath ? specialTokensOf(readJson(tokenizerPath)) : byteLevelTokens(vocab);
  return {
    name: `random-${seed}`,
    description: `random weights (seed ${seed}) for benchmarks; the output is meaningless`,
    config, weights: randomWeights(config, seed),
    tokenizerJson: tokenizerPath ? readFileSync(tokenizerPath, 'utf8') : byteLevelTokenizerJson(vocab),
    tokens, preprocess: preprocessFor(config), generation: DEFAULT_GENERATION,
  };
}

/** Special token ids of a given tokenizer.json, found by their usual names. */
function specialTokensOf(tokenizer: unknown): SpecialTokens {
  const added = (tokenizer as { added_tokens?: { id: number; content: string }[] }).added_tokens ?? [];
  const id = (...names: string[]) => {
    const t = added.find((a) => names.includes(a.content));
    if (!t) throw new Error(`--tokenizer: no added token named ${names.join(' or ')}`);
    return t.id;
  };
  return { pad: id('<pad>', '<unk>'), bos: id('<s>', '<bos>'), eos: id('</s>', '<eos>'), image: id('<image>'), endofchunk: id('<|endofchunk|>') };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}
