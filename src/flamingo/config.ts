// The model configuration (docs/model-spec.md, section 1) and the sizes derived from it.
// Shared by the runtime, the builder, the reference forward pass and the tests.

export interface ConvSpec { channels: number; kernel: number; stride: number }
export interface StageSpec { channels: number; blocks: number; stride: number }

export interface NfnetConfig { stem: ConvSpec[]; stages: StageSpec[]; alpha: number; pos_embed: boolean }
export interface VitConfig {
  patch_size: number; width: number; layers: number; heads: number; mlp_dim: number;
  act: 'quick_gelu' | 'gelu'; ln_eps: number;
}
export interface VisionConfig {
  type: 'nfnet' | 'vit';
  image_size: [number, number]; // [H, W]
  nfnet?: NfnetConfig;
  vit?: VitConfig;
}
export interface ResamplerConfig {
  depth: number; heads: number; head_dim: number; num_latents: number; ff_mult: number;
  max_frames: number; // 0 = no temporal embeddings
  ln_eps: number;
}
export interface LmConfig {
  dim: number; hidden_dim: number; n_layers: number; n_heads: number; n_kv_heads: number;
  vocab_size: number; max_seq_len: number; rope_theta: number; norm_eps: number; tie_embeddings: boolean;
}
export interface XattnConfig {
  every: number; // a gated block before LM layer i when (i + 1) % every == 0; 0 = none (plain LM)
  heads: number; head_dim: number; ff_mult: number; ln_eps: number;
}
export interface FlamingoConfig { vision: VisionConfig; resampler: ResamplerConfig; lm: LmConfig; xattn: XattnConfig }

/** Width of the vision features (Dv), which is also the resampler's width. */
export function visionWidth(c: VisionConfig): number {
  if (c.type === 'vit') return need(c.vit, 'vision.vit').width;
  const n = need(c.nfnet, 'vision.nfnet');
  return n.stages.length ? n.stages[n.stages.length - 1].channels : n.stem[n.stem.length - 1].channels;
}

/** Output grid [H', W'] of the vision encoder for one frame. */
export function visionGrid(c: VisionConfig): [number, number] {
  let [h, w] = c.image_size;
  if (c.type === 'vit') {
    const p = need(c.vit, 'vision.vit').patch_size;
    return [Math.floor(h / p), Math.floor(w / p)];
  }
  const n = need(c.nfnet, 'vision.nfnet');
  const convOut = (size: number, k: number, s: number) => {
    const pad = k % 2 === 1 ? (k - 1) / 2 : 0;
    return Math.floor((size + 2 * pad - k) / s) + 1;
  };
  for (const st of n.stem) { h = convOut(h, st.kernel, st.stride); w = convOut(w, st.kernel, st.stride); }
  for (const stage of n.stages) { h = convOut(h, 3, stage.stride); w = convOut(w, 3, stage.stride); }
  return [h, w];
}

/** Visual positions per frame (P). */
export function visionPositions(c: VisionConfig): number {
  const [h, w] = visionGrid(c);
  return h * w;
}

/** Indices of the LM layers that have a GATED XATTN-DENSE block before them. */
export function xattnLayers(c: FlamingoConfig): number[] {
  const every = c.xattn.every;
  if (!every) return [];
  return Array.from({ length: c.lm.n_layers }, (_, i) => i).filter((i) => (i + 1) % every === 0);
}

export function lmHeadDim(c: LmConfig): number { return c.dim / c.n_heads; }

function need<T>(v: T | undefined, name: string): T {
  if (v === undefined) throw new Error(`config: "${name}" is missing`);
  return v;
}
