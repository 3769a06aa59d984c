// NFNet vision encoder graph: pixels [F, 3, H, W] -> features [F, P, Dv] (model-spec §2).
// The weights are frozen, so weight standardisation, the block's alpha * skip_gain and
// NFNet's beta scaling are folded into constants at build time.

import { FlamingoConfig, NfnetConfig, visionPositions, visionWidth } from '../flamingo/config';
import { Graph, MS } from './onnx/graph';
import { HostTensor, WeightMap, getWeight } from './weights';

const GELU_GAMMA = 1.7015043497085571; // NFNet's gamma for GELU
const WS_EPS = 1e-4;

export function buildNfnetVision(config: FlamingoConfig, weights: WeightMap): Graph {
  const vision = config.vision;
  const nf = vision.nfnet;
  if (!nf) throw new Error('config: vision.type is "nfnet" but "vision.nfnet" is missing');
  const [H, W] = vision.image_size;
  const g = new Graph('vision');
  const pixels = g.input('pixels', 'float32', ['frames', 3, H, W]);

  let x = pixels; // [F, C, h, w]
  let channels = 3;
  nf.stem.forEach((conv, s) => {
    if (s > 0) x = g.scope(`stem.${s - 1}`, () => act(g, x, 1));
    x = g.scope(`stem.${s}`, () => wsConv(g, weights, x, `vision.stem.${s}`, channels, conv.channels, conv.kernel, conv.stride));
    channels = conv.channels;
  });
  x = stages(g, weights, nf, x, channels);

  // Head: act, flatten [F, C, H', W'] -> [F, H'*W', C], learned position embedding.
  const Dv = visionWidth(vision);
  const P = visionPositions(vision);
  let features = g.scope('head', () => {
    const a = act(g, x, 1);
    return g.transpose(g.reshape(a, [0, Dv, -1]), [0, 2, 1]);
  });
  if (nf.pos_embed) {
    features = g.add(features, g.init('vision.pos_embed', [P, Dv], getWeight(weights, 'vision.pos_embed', [P, Dv]).data));
  }
  g.output(features, 'features', 'float32', ['frames', P, Dv]);
  return g;
}

function stages(g: Graph, weights: WeightMap, nf: NfnetConfig, x: string, channels: number): string {
  let expectedVar = 1.0;
  nf.stages.forEach((stage, i) => {
    for (let b = 0; b < stage.blocks; b++) {
      const prefix = `vision.stages.${i}.blocks.${b}`;
      const stride = b === 0 ? stage.stride : 1;
      const beta = 1 / Math.sqrt(expectedVar);
      const skipScale = nf.alpha * getWeight(weights, `${prefix}.skip_gain`, [1]).data[0];
      const inCh = channels;
      x = g.scope(prefix.slice('vision.'.length), () => {
        const out = act(g, x, beta);
        const hasProjection = b === 0 && (stride !== 1 || inCh !== stage.channels);
        const shortcut = hasProjection ? wsConv(g, weights, out, `${prefix}.shortcut`, inCh, stage.channels, 1, stride) : x;
        let h = wsConv(g, weights, out, `${prefix}.conv1`, inCh, stage.channels, 3, stride);
        h = act(g, h, 1);
        h = wsConv(g, weights, h, `${prefix}.conv2`, stage.channels, stage.channels, 3, 1, skipScale);
        return g.add(shortcut, h);
      });
      channels = stage.channels;
      if (b === 0) expectedVar = 1.0;
      expectedVar += nf.alpha ** 2;
    }
  });
  return x;
}

/** act(x) * scale, where act = gamma * gelu. */
function act(g: Graph, x: string, scale: number): string {
  return g.mul(g.op(MS, 'Gelu', [x])[0], g.constFloat([GELU_GAMMA * scale], [1]));
}

/** Weight-standardised conv; `outScale` multiplies the output (folded into weight and bias). */
function wsConv(
  g: Graph, weights: WeightMap, x: string, prefix: string,
  inCh: number, outCh: number, k: number, stride: number, outScale = 1,
): string {
  const w = getWeight(weights, `${prefix}.weight`, [outCh, inCh, k, k]);
  const gain = getWeight(weights, `${prefix}.gain`, [outCh]);
  const bias = getWeight(weights, `${prefix}.bias`, [outCh]);
  const wHat = g.init(`${prefix}.weight_standardized`, w.shape, standardize(w, gain, outScale));
  const b = g.init(`${prefix}.bias`, [outCh], bias.data.map((v) => v * outScale));
  const pad = k % 2 === 1 ? (k - 1) / 2 : 0;
  return g.op('', 'Conv', [x, wHat, b], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] })[0];
}

// W_hat[o] = gain[o] * (W[o] - mean(W[o])) / sqrt(var(W[o]) + 1e-4) / sqrt(fan_in), in float64.
function standardize(w: HostTensor, gain: HostTensor, outScale: number): Float32Array {
  const outCh = w.shape[0];
  const fanIn = w.data.length / outCh;
  const out = new Float32Array(w.data.length);
  for (let o = 0; o < outCh; o++) {
    const row = w.data.subarray(o * fanIn, (o + 1) * fanIn);
    let mean = 0;
    for (const v of row) mean += v;
    mean /= fanIn;
    let variance = 0;
    for (const v of row) variance += (v - mean) ** 2;
    variance /= fanIn;
    const scale = (gain.data[o] * outScale) / Math.sqrt(variance + WS_EPS) / Math.sqrt(fanIn);
    for (let j = 0; j < fanIn; j++) out[o * fanIn + j] = (row[j] - mean) * scale;
  }
  return out;
}
