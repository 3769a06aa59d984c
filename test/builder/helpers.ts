// Shared by the builder tests: tiny configs, both ONNX runtimes, sessions from in-memory
// graphs, and the decoder's mask inputs (built here, independently of the runtime's own code).

import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import type { FlamingoConfig } from '../../src/flamingo/config';
import type { Graph } from '../../src/builder/onnx/graph';
import { encodeModel } from '../../src/builder/onnx/model';
import type { HostTensor } from '../../src/builder/weights';

ortWeb.env.wasm.numThreads = 1; // the machine is shared; one thread is plenty for tiny graphs
ortWeb.env.logLevel = 'error';

type Ort = typeof ortNode;
type OrtTensor = ortNode.Tensor;
export type Feeds = Record<string, OrtTensor>;

export interface Runtime {
  name: string;
  run(graph: Graph, feeds: (ort: Ort) => Feeds): Promise<Record<string, HostTensor>>;
  session(graph: Graph): Promise<Session>;
}
export interface Session {
  ort: Ort;
  run(feeds: Feeds): Promise<Record<string, HostTensor>>;
}

function runtime(name: string, ort: Ort): Runtime {
  const session = async (graph: Graph): Promise<Session> => {
    const s = await ort.InferenceSession.create(encodeModel(graph).model);
    return {
      ort,
      async run(feeds) {
        const out = await s.run(feeds);
        return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { shape: [...t.dims], data: t.data as Float32Array }]));
      },
    };
  };
  return { name, session, run: async (graph, feeds) => (await session(graph)).run(feeds(ort)) };
}

// onnxruntime-web's types are the same API under another package name.
export const RUNTIMES: Runtime[] = [runtime('onnxruntime-node', ortNode), runtime('onnxruntime-web', ortWeb as unknown as Ort)];

export function f32(ort: Ort, t: HostTensor): OrtTensor {
  return new ort.Tensor('float32', t.data, t.shape);
}

export function i64(ort: Ort, values: number[], shape: number[]): OrtTensor {
  return new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), shape);
}

export function maxAbsDiff(a: HostTensor, b: HostTensor): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shapes differ: [${a.shape}] vs [${b.shape}]`);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return Number.isNaN(m) ? Infinity : m;
}

/** Deterministic pseudo-random values in [-1, 1). */
export function randomTensor(shape: number[], seed: number): HostTensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { shape, data };
}

export const TOLERANCE = 1e-4;

/** A tiny Flamingo; `patch` overrides whole sub-objects. */
export function tinyConfig(patch: Partial<FlamingoConfig> = {}): FlamingoConfig {
  return {
    vision: {
      type: 'nfnet', image_size: [16, 16],
      // stem: odd and even kernels; stage 0: projected shortcut, then an identity one.
      nfnet: { stem: [{ channels: 8, kernel: 3, stride: 2 }, { channels: 8, kernel: 2, stride: 2 }],
        stages: [{ channels: 16, blocks: 2, stride: 2 }], alpha: 0.2, pos_embed: true },
    },
    resampler: { depth: 2, heads: 2, head_dim: 8, num_latents: 4, ff_mult: 2, max_frames: 4, ln_eps: 1e-5 },
    lm: { dim: 32, hidden_dim: 48, n_layers: 2, n_heads: 4, n_kv_heads: 2, vocab_size: 40, max_seq_len: 64,
      rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true },
    xattn: { every: 1, heads: 2, head_dim: 8, ff_mult: 2, ln_eps: 1e-5 },
    ...patch,
  };
}

export const NEG = -1e9;

/**
 * The decoder's inputs for one sequence (batch 1): tokens `ids` at positions past..past+S-1,
 * `mediaIds` per token (1-based media item, 0 = none), media keys/values per gated layer
 * already concatenated over items ([xH, M*N, xhd]), and the past cache per layer.
 */
export interface DecoderStep {
  ids: number[];
  mediaIds: number[];
  numMedia: number; // M; 0 = no media (one all-zero item is passed, fully masked)
  mediaKv: Map<number, { key: HostTensor; value: HostTensor }>;
  past: { key: HostTensor; value: HostTensor }[];
}

export function decoderFeeds(ort: Ort, config: FlamingoConfig, step: DecoderStep): Feeds {
  const S = step.ids.length;
  const P = step.past[0].key.shape[2];
  const T = P + S;
  const N = config.resampler.num_latents;
  const V = Math.max(step.numMedia, 1) * N;
  const feeds: Feeds = {
    input_ids: i64(ort, step.ids, [1, S]),
    position_ids: i64(ort, step.ids.map((_, s) => P + s), [1, S]),
    attention_bias: f32(ort, fill([1, 1, S, T], (s, t) => (t <= P + s ? 0 : NEG))),
  };
  if (step.mediaKv.size) {
    feeds.media_bias = f32(ort, fill([1, 1, S, V], (s, v) => (Math.floor(v / N) + 1 === step.mediaIds[s] ? 0 : NEG)));
    feeds.media_gate = f32(ort, { shape: [1, S, 1], data: Float32Array.from(step.mediaIds, (m) => (m > 0 ? 1 : 0)) });
    for (const [i, kv] of step.mediaKv) {
      feeds[`media_key.${i}`] = f32(ort, withBatch(kv.key));
      feeds[`media_value.${i}`] = f32(ort, withBatch(kv.value));
    }
  }
  step.past.forEach((kv, i) => {
    feeds[`past_key.${i}`] = f32(ort, kv.key);
    feeds[`past_value.${i}`] = f32(ort, kv.value);
  });
  return feeds;
}

/** An empty cache (P = 0) for every LM layer. */
export function emptyPast(config: FlamingoConfig): { key: HostTensor; value: HostTensor }[] {
  const hd = config.lm.dim / config.lm.n_heads;
  const empty = () => ({ shape: [1, config.lm.n_kv_heads, 0, hd], data: new Float32Array(0) });
  return Array.from({ length: config.lm.n_layers }, () => ({ key: empty(), value: empty() }));
}

/** Per gated layer, the keys/values of several media items concatenated along the token axis. */
export function concatMedia(items: Map<number, { key: HostTensor; value: HostTensor }>[]): Map<number, { key: HostTensor; value: HostTensor }> {
  const out = new Map<number, { key: HostTensor; value: HostTensor }>();
  for (const i of items[0].keys()) {
    const cat = (pick: (kv: { key: HostTensor; value: HostTensor }) => HostTensor): HostTensor => {
      const parts = items.map((m) => pick(m.get(i)!));
      const [xH, , xhd] = parts[0].shape;
      const total = parts.reduce((n, p) => n + p.shape[1], 0);
      const data = new Float32Array(xH * total * xhd);
      let offset = 0;
      for (const p of parts) {
        const n = p.shape[1];
        for (let h = 0; h < xH; h++) data.set(p.data.subarray(h * n * xhd, (h + 1) * n * xhd), (h * total + offset) * xhd);
        offset += n;
      }
      return { shape: [xH, total, xhd], data };
    };
    out.set(i, { key: cat((kv) => kv.key), value: cat((kv) => kv.value) });
  }
  return out;
}

function withBatch(t: HostTensor): HostTensor {
  return { shape: [1, ...t.shape], data: t.data };
}

function fill(shape: [number, number, number, number], value: (s: number, t: number) => number): HostTensor {
  const [, , S, T] = shape;
  const data = new Float32Array(S * T);
  for (let s = 0; s < S; s++) for (let t = 0; t < T; t++) data[s * T + t] = value(s, t);
  return { shape, data };
}
