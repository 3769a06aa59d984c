// NFNet vision encoder (docs/model-spec.md section 2), one frame at a time:
// pixels [3, H, W] -> features [P, Dv]. Weight standardisation is computed from the raw
// weights on every call, never folded.
import type { NfnetConfig } from '../../src/flamingo/config';
import { getWeight, type WeightMap } from '../../src/builder/weights';
import { type Act, conv2d, gelu, mapInPlace, meanVariance, toFloat64 } from './ops';

const NFNET_GAMMA = 1.7015043497085571;
const act = (x: number): number => gelu(x) * NFNET_GAMMA;

/** A feature map [C, H, W]. */
interface FeatureMap { data: Act; c: number; h: number; w: number }

/** W_hat[o] = gain[o] * (W[o] - mean(W[o])) / sqrt(var(W[o]) + 1e-4) / sqrt(in*k*k). */
export function standardizedWeight(weights: WeightMap, name: string, out: number, inCh: number, k: number): Act {
  const w = getWeight(weights, `${name}.weight`, [out, inCh, k, k]).data;
  const gain = getWeight(weights, `${name}.gain`, [out]).data;
  const fanIn = inCh * k * k;
  const y = new Float64Array(out * fanIn);
  for (let o = 0; o < out; o++) {
    const { mean, variance } = meanVariance(w, o * fanIn, fanIn);
    const scale = gain[o] / Math.sqrt(variance + 1e-4) / Math.sqrt(fanIn);
    for (let i = 0; i < fanIn; i++) y[o * fanIn + i] = (w[o * fanIn + i] - mean) * scale;
  }
  return y;
}

/** WSConv2d: [in, H, W] -> [out, H', W']; padding (k-1)/2 for odd k, 0 for even k. */
function wsConv(weights: WeightMap, name: string, x: FeatureMap, out: number, k: number, stride: number): FeatureMap {
  const w = standardizedWeight(weights, name, out, x.c, k);
  const bias = toFloat64(getWeight(weights, `${name}.bias`, [out]));
  const pad = k % 2 === 1 ? (k - 1) / 2 : 0;
  const y = conv2d(x.data, x.c, x.h, x.w, w, out, k, bias, stride, pad);
  return { data: y.data, c: out, h: y.h, w: y.w };
}

function mapped(x: FeatureMap, f: (v: number) => number): FeatureMap {
  return { ...x, data: mapInPlace(Float64Array.from(x.data), f) };
}

/** One frame: pixels [3, H, W] -> features [P, Dv], P = H'*W', position p = y*W' + x. */
export function nfnetFrame(cfg: NfnetConfig, weights: WeightMap, pixels: Act, height: number, width: number): Act {
  let x: FeatureMap = { data: pixels, c: 3, h: height, w: width };
  cfg.stem.forEach((s, i) => {
    if (i > 0) x = mapped(x, act); // act between stem convs, none after the last
    x = wsConv(weights, `vision.stem.${i}`, x, s.channels, s.kernel, s.stride);
  });

  let expectedVar = 1.0;
  cfg.stages.forEach((stage, si) => {
    for (let b = 0; b < stage.blocks; b++) {
      const name = `vision.stages.${si}.blocks.${b}`;
      const stride = b === 0 ? stage.stride : 1;
      const beta = 1 / Math.sqrt(expectedVar);
      const out = mapped(x, (v) => act(v) * beta);
      const shortcut = b === 0 && (stride !== 1 || x.c !== stage.channels)
        ? wsConv(weights, `${name}.shortcut`, out, stage.channels, 1, stride)
        : x;
      let h = wsConv(weights, `${name}.conv1`, out, stage.channels, 3, stride);
      h = mapped(h, act);
      h = wsConv(weights, `${name}.conv2`, h, stage.channels, 3, 1);
      const skipGain = getWeight(weights, `${name}.skip_gain`, [1]).data[0];
      const next = new Float64Array(shortcut.data.length);
      for (let i = 0; i < next.length; i++) next[i] = shortcut.data[i] + cfg.alpha * skipGain * h.data[i];
      x = { data: next, c: stage.channels, h: h.h, w: h.w };
      if (b === 0) expectedVar = 1.0;
      expectedVar += cfg.alpha ** 2;
    }
  });

  // head: act, then [C, H', W'] -> [H'*W', C], plus the learned position embedding
  x = mapped(x, act);
  const positions = x.h * x.w;
  const features = new Float64Array(positions * x.c);
  const posEmbed = cfg.pos_embed ? getWeight(weights, 'vision.pos_embed', [positions, x.c]).data : null;
  for (let p = 0; p < positions; p++) {
    for (let c = 0; c < x.c; c++) {
      features[p * x.c + c] = x.data[c * positions + p] + (posEmbed ? posEmbed[p * x.c + c] : 0);
    }
  }
  return features;
}
