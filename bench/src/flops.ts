// The work each stage must do, from the config alone: floating-point operations (a multiply-add
// is 2) and the bytes it must move at least (weights once, activations in and out of each
// layer, the KV cache read once). Compared against the measured peak in the roofline table.
import { lmHeadDim, visionGrid, visionWidth, xattnLayers, type FlamingoConfig } from '../../src/flamingo/config';

export interface Work { flops: number; bytes: number }

const F32 = 4;
const add = (a: Work, b: Work): Work => ({ flops: a.flops + b.flops, bytes: a.bytes + b.bytes });
const ZERO: Work = { flops: 0, bytes: 0 };

/** A convolution over one frame: in [cin, h, w] -> out [cout, ho, wo]. */
function conv(cin: number, cout: number, k: number, stride: number, h: number, w: number): Work & { h: number; w: number } {
  const pad = k % 2 ? (k - 1) / 2 : 0;
  const ho = Math.floor((h + 2 * pad - k) / stride) + 1, wo = Math.floor((w + 2 * pad - k) / stride) + 1;
  return { flops: 2 * cin * cout * k * k * ho * wo, bytes: F32 * (cin * cout * k * k + cin * h * w + cout * ho * wo), h: ho, w: wo };
}

/** NFNet vision encoder, `frames` frames at `imageSize` (the config's unless given). */
export function visionWork(c: FlamingoConfig, frames: number, imageSize = c.vision.image_size): Work {
  const nf = c.vision.nfnet;
  if (!nf) throw new Error('flops: only the NFNet encoder is counted');
  let [h, w] = imageSize, cin = 3;
  let total = ZERO;
  for (const s of nf.stem) {
    const r = conv(cin, s.channels, s.kernel, s.stride, h, w);
    total = add(total, r); h = r.h; w = r.w; cin = s.channels;
  }
  for (const st of nf.stages) {
    for (let b = 0; b < st.blocks; b++) {
      const stride = b === 0 ? st.stride : 1;
      const c1 = conv(cin, st.channels, 3, stride, h, w);
      const c2 = conv(st.channels, st.channels, 3, 1, c1.h, c1.w);
      total = add(add(total, c1), c2);
      if (b === 0 && (stride !== 1 || cin !== st.channels)) total = add(total, conv(cin, st.channels, 1, stride, h, w));
      h = c1.h; w = c1.w; cin = st.channels;
    }
  }
  return { flops: total.flops * frames, bytes: total.bytes * frames - (frames - 1) * weightBytesOfVision(c) };
}

function weightBytesOfVision(c: FlamingoConfig): number {
  const nf = c.vision.nfnet!;
  let cin = 3, n = 0;
  for (const s of nf.stem) { n += cin * s.channels * s.kernel ** 2; cin = s.channels; }
  for (const st of nf.stages) {
    for (let b = 0; b < st.blocks; b++) {
      n += cin * st.channels * 9 + st.channels ** 2 * 9 + (b === 0 && (st.stride !== 1 || cin !== st.channels) ? cin * st.channels : 0);
      cin = st.channels;
    }
  }
  return n * F32;
}

/** Perceiver Resampler over one media item of `frames` frames, plus every gated layer's K/V projection. */
export function resamplerWork(c: FlamingoConfig, frames: number): Work {
  const { depth, heads: H, head_dim: hd, num_latents: N, ff_mult: m } = c.resampler;
  const Dv = visionWidth(c.vision);
  const [gh, gw] = visionGrid(c.vision);
  const K = frames * gh * gw + N; // keys: all frames' positions and the latents
  const perLayer = 2 * N * Dv * H * hd + 2 * K * Dv * 2 * H * hd + 2 * 2 * N * K * H * hd + 2 * N * H * hd * Dv + 2 * 2 * N * Dv * Dv * m;
  const layerWeights = Dv * H * hd * 4 + 2 * Dv * Dv * m;
  const { heads: xH, head_dim: xhd } = c.xattn;
  const G = xattnLayers(c).length;
  return {
    flops: depth * perLayer + G * 2 * N * Dv * 2 * xH * xhd,
    bytes: F32 * (depth * (layerWeights + (K - N) * Dv + 2 * K * 2 * H * hd) + G * (Dv * 2 * xH * xhd + 2 * N * xH * xhd)),
  };
}

/**
 * One decoder run: S new tokens after `past` cached ones, V visual tokens (one media item each
 * N of them; a token attends to its own item's N only). Logits are needed for the last token only.
 */
export function decoderWork(c: FlamingoConfig, S: number, past: number, mediaItems = 1): Work {
  const { dim: d, hidden_dim: hidden, n_layers: L, n_heads: H, n_kv_heads: kvH, vocab_size: vocab } = c.lm;
  const hd = lmHeadDim(c.lm);
  const { heads: xH, head_dim: xhd, ff_mult: m } = c.xattn;
  const N = c.resampler.num_latents;
  const G = xattnLayers(c).length;
  const keysSeen = S * past + (S * (S + 1)) / 2; // causal: token j sees past + j + 1 keys
  const lmWeights = L * (2 * d * H * hd + 2 * d * kvH * hd + 3 * d * hidden);
  const xWeights = G * (2 * d * xH * xhd + 2 * d * d * m);
  const flops = 2 * S * (lmWeights + xWeights) + L * 4 * H * hd * keysSeen + G * 4 * S * N * xH * xhd + 2 * d * vocab;
  const kvBytes = L * 2 * kvH * hd * (past + S); // read the past, write the new
  const mediaBytes = G * 2 * xH * N * mediaItems * xhd;
  return { flops, bytes: F32 * (lmWeights + xWeights + vocab * d + kvBytes + mediaBytes) };
}
