// Plain building blocks of the reference forward pass: loops over Float64Array activations,
// float32 weights read as they are stored. Nothing here is clever on purpose: this is the
// oracle the ONNX graphs are compared against.
import type { HostTensor } from '../../src/builder/weights';

/** Activations: row-major float64 buffers, shapes tracked by the caller (in comments). */
export type Act = Float64Array;

/** erf to ~1e-15: erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)).
 * Every term is positive, so the sum has no cancellation for any x. */
export function erf(x: number): number {
  if (x < 0) return -erf(-x);
  if (x > 6) return 1; // erfc(6) ~ 2e-17
  let term = x;
  let sum = x;
  for (let n = 1; term > 1e-17 * sum; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return Math.min(1, (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum);
}

export const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const quickGelu = (x: number): number => x * sigmoid(1.702 * x);
export const silu = (x: number): number => x * sigmoid(x);

export function mapInPlace(x: Act, f: (v: number) => number): Act {
  for (let i = 0; i < x.length; i++) x[i] = f(x[i]);
  return x;
}

/** a += scale * b, elementwise. */
export function addScaledInPlace(a: Act, b: Act, scale = 1): Act {
  if (a.length !== b.length) throw new Error(`addScaledInPlace: sizes ${a.length} and ${b.length} differ`);
  for (let i = 0; i < a.length; i++) a[i] += scale * b[i];
  return a;
}

/** y = x @ W^T (+ b): x [rows, in], W [out, in], b [out] -> y [rows, out]. */
export function linear(x: Act, rows: number, w: HostTensor, bias?: HostTensor): Act {
  const [out, inDim] = w.shape;
  if (x.length !== rows * inDim) throw new Error(`linear: input has ${x.length} values, expected [${rows}, ${inDim}]`);
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let acc = bias ? bias.data[o] : 0;
      for (let i = 0; i < inDim; i++) acc += x[r * inDim + i] * w.data[o * inDim + i];
      y[r * out + o] = acc;
    }
  }
  return y;
}

/** Mean and population variance of x[start .. start+n). */
export function meanVariance(x: ArrayLike<number>, start: number, n: number): { mean: number; variance: number } {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[start + i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[start + i] - mean) ** 2;
  return { mean, variance: variance / n };
}

/** LayerNorm over the last dim: x [rows, dim] -> [rows, dim]. Population variance. */
export function layerNorm(x: Act, rows: number, weight: HostTensor, bias: HostTensor, eps: number): Act {
  const dim = weight.shape[0];
  const y = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const { mean, variance } = meanVariance(x, r * dim, dim);
    const inv = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = (x[r * dim + i] - mean) * inv * weight.data[i] + bias.data[i];
  }
  return y;
}

/** RMSNorm: x [rows, dim] -> x / sqrt(mean(x^2) + eps) * weight. */
export function rmsNorm(x: Act, rows: number, weight: HostTensor, eps: number): Act {
  const dim = weight.shape[0];
  const y = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let ms = 0;
    for (let i = 0; i < dim; i++) ms += x[r * dim + i] ** 2;
    const inv = 1 / Math.sqrt(ms / dim + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * inv * weight.data[i];
  }
  return y;
}

/** Softmax of x[offset .. offset+len) in place, max-subtracted. */
export function softmaxInPlace(x: Act, offset: number, len: number): void {
  let max = -Infinity;
  for (let i = 0; i < len; i++) max = Math.max(max, x[offset + i]);
  let sum = 0;
  for (let i = 0; i < len; i++) {
    x[offset + i] = Math.exp(x[offset + i] - max);
    sum += x[offset + i];
  }
  for (let i = 0; i < len; i++) x[offset + i] /= sum;
}

/**
 * Multi-head scaled dot-product attention with grouped key/value heads.
 * q [Sq, H*hd], k, v [Sk, kvH*hd] -> [Sq, H*hd]; query head h reads kv head floor(h / (H/kvH)).
 * allowed(i, j): whether query row i may attend to key row j (at least one j must be allowed).
 */
export function attention(
  q: Act, k: Act, v: Act, sq: number, sk: number, heads: number, kvHeads: number, hd: number,
  allowed: (i: number, j: number) => boolean = () => true,
): Act {
  const out = new Float64Array(sq * heads * hd);
  const group = heads / kvHeads;
  const scores = new Float64Array(sk);
  for (let h = 0; h < heads; h++) {
    const kvh = Math.floor(h / group);
    for (let i = 0; i < sq; i++) {
      // masked keys get -Infinity: exp() makes them exactly 0, as -1e9 does in float32
      for (let j = 0; j < sk; j++) {
        let dot = 0;
        for (let d = 0; d < hd; d++) dot += q[(i * heads + h) * hd + d] * k[(j * kvHeads + kvh) * hd + d];
        scores[j] = allowed(i, j) ? dot / Math.sqrt(hd) : -Infinity;
      }
      softmaxInPlace(scores, 0, sk);
      for (let d = 0; d < hd; d++) {
        let acc = 0;
        for (let j = 0; j < sk; j++) acc += scores[j] * v[(j * kvHeads + kvh) * hd + d];
        out[(i * heads + h) * hd + d] = acc;
      }
    }
  }
  return out;
}

/**
 * 2-D convolution of one image: x [C, H, W], weight [O, C, k, k] (float64), bias [O] or none,
 * zero padding `pad` on every side -> { data [O, H', W'], h: H', w: W' }.
 */
export function conv2d(
  x: Act, channels: number, height: number, width: number,
  weight: Act, outChannels: number, kernel: number, bias: Act | null, stride: number, pad: number,
): { data: Act; h: number; w: number } {
  const oh = Math.floor((height + 2 * pad - kernel) / stride) + 1;
  const ow = Math.floor((width + 2 * pad - kernel) / stride) + 1;
  const y = new Float64Array(outChannels * oh * ow);
  for (let o = 0; o < outChannels; o++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let acc = bias ? bias[o] : 0;
        for (let c = 0; c < channels; c++) {
          for (let ky = 0; ky < kernel; ky++) {
            const iy = oy * stride + ky - pad;
            if (iy < 0 || iy >= height) continue;
            for (let kx = 0; kx < kernel; kx++) {
              const ix = ox * stride + kx - pad;
              if (ix < 0 || ix >= width) continue;
              acc += x[(c * height + iy) * width + ix] * weight[((o * channels + c) * kernel + ky) * kernel + kx];
            }
          }
        }
        y[(o * oh + oy) * ow + ox] = acc;
      }
    }
  }
  return { data: y, h: oh, w: ow };
}

/** [rows, parts*width] -> parts arrays of [rows, width], in order. */
export function splitColumns(x: Act, rows: number, cols: number, parts: number): Act[] {
  const width = cols / parts;
  return Array.from({ length: parts }, (_, part) => {
    const y = new Float64Array(rows * width);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < width; c++) y[r * width + c] = x[r * cols + part * width + c];
    }
    return y;
  });
}

export function toFloat64(t: HostTensor): Act {
  return Float64Array.from(t.data);
}
