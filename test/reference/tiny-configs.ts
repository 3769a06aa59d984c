// Tiny configurations that run through the reference in milliseconds, for tests.
import type { FlamingoConfig } from '../../src/flamingo/config';

/** NFNet: 16x16 -> stem (k3 s2, k2 s2) 4x4 -> stage 0 (projection shortcut, s2) 2x2 -> stage 1 (identity): P = 4, Dv = 12. */
export function tinyNfnetConfig(): FlamingoConfig {
  return {
    vision: {
      type: 'nfnet',
      image_size: [16, 16],
      nfnet: {
        stem: [{ channels: 4, kernel: 3, stride: 2 }, { channels: 8, kernel: 2, stride: 2 }],
        stages: [{ channels: 12, blocks: 2, stride: 2 }, { channels: 12, blocks: 1, stride: 1 }],
        alpha: 0.2,
        pos_embed: true,
      },
    },
    resampler: { depth: 2, heads: 2, head_dim: 4, num_latents: 3, ff_mult: 2, max_frames: 4, ln_eps: 1e-5 },
    lm: {
      dim: 16, hidden_dim: 24, n_layers: 3, n_heads: 4, n_kv_heads: 2, vocab_size: 20, max_seq_len: 32,
      rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true,
    },
    xattn: { every: 1, heads: 2, head_dim: 4, ff_mult: 2, ln_eps: 1e-5 },
  };
}

/** ViT: 8x8, patch 4 -> P = 4, width 12; untied classifier, a gated block before LM layers 1 and 3. */
export function tinyVitConfig(): FlamingoConfig {
  const base = tinyNfnetConfig();
  return {
    ...base,
    vision: {
      type: 'vit',
      image_size: [8, 8],
      vit: { patch_size: 4, width: 12, layers: 2, heads: 3, mlp_dim: 24, act: 'quick_gelu', ln_eps: 1e-5 },
    },
    resampler: { ...base.resampler, max_frames: 0 },
    lm: { ...base.lm, n_layers: 4, tie_embeddings: false },
    xattn: { ...base.xattn, every: 2 },
  };
}
