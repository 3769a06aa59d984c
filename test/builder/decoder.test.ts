// The decoder graph vs the reference full forward pass: interleaved images, video, text before
// the first image, step-by-step decoding with the KV cache (starting from an empty past), GQA,
// untied embeddings, gated blocks every 1 and 2 layers. On onnxruntime-node and -web (WASM).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlamingoConfig } from '../../src/flamingo/config';
import { visionPositions, visionWidth } from '../../src/flamingo/config';
import { buildDecoder } from '../../src/builder/decoder';
import { buildNfnetVision } from '../../src/builder/vision-nfnet';
import { buildResampler } from '../../src/builder/resampler';
import { randomWeights } from '../../src/builder/random-weights';
import type { HostTensor, WeightMap } from '../../src/builder/weights';
import { decoderForward, mediaKeysValues, resamplerForward, visionForward } from '../reference/index';
import {
  RUNTIMES, Runtime, TOLERANCE, concatMedia, decoderFeeds, emptyPast, f32, maxAbsDiff, randomTensor, tinyConfig,
} from './helpers';

const IMAGE = 38; // any ids work for random weights; these stand for <image> and <|endofchunk|>
const EOC = 39;

/** Random latents [N, Dv] for media item `seed`. */
function latents(config: FlamingoConfig, seed: number): HostTensor {
  return randomTensor([config.resampler.num_latents, visionWidth(config.vision)], 100 + seed);
}

/** Logits [S, vocab] of the ONNX decoder for the whole sequence at once (empty past). */
async function onnxLogits(rt: Runtime, config: FlamingoConfig, weights: WeightMap, ids: number[], mediaIds: number[], media: HostTensor[]): Promise<HostTensor> {
  const session = await rt.session(buildDecoder(config, weights));
  const mediaKv = config.xattn.every ? concatMedia((media.length ? media : [zeros(config)]).map((l) => mediaKeysValues(config, weights, l))) : new Map();
  const out = await session.run(decoderFeeds(session.ort, config, { ids, mediaIds, numMedia: media.length, mediaKv, past: emptyPast(config) }));
  return { shape: out.logits.shape.slice(1), data: out.logits.data };
}

function zeros(config: FlamingoConfig): HostTensor {
  const shape = [config.resampler.num_latents, visionWidth(config.vision)];
  return { shape, data: new Float32Array(shape[0] * shape[1]) };
}

function assertClose(actual: HostTensor, expected: HostTensor, what: string): void {
  const diff = maxAbsDiff(actual, expected);
  assert.ok(diff < TOLERANCE, `${what}: max abs diff ${diff}`);
}

// 1 = BOS; each image is followed by its text chunk, ended by <|endofchunk|>.
const ONE_IMAGE = { ids: [1, IMAGE, 5, 6, 7, EOC], mediaIds: [0, 1, 1, 1, 1, 1] };
const TWO_IMAGES = { ids: [1, IMAGE, 5, 6, EOC, IMAGE, 8, 9, 10, EOC, 11], mediaIds: [0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2] };
const TEXT_FIRST = { ids: [1, 12, 13, 14, IMAGE, 5, 6, EOC], mediaIds: [0, 0, 0, 0, 1, 1, 1, 1] };

for (const rt of RUNTIMES) {
  const config = tinyConfig(); // GQA: 4 query heads, 2 kv heads
  const weights = randomWeights(config, 21);

  test(`${rt.name}: one image`, async () => {
    const media = [latents(config, 1)];
    assertClose(await onnxLogits(rt, config, weights, ONE_IMAGE.ids, ONE_IMAGE.mediaIds, media),
      decoderForward(config, weights, ONE_IMAGE.ids, ONE_IMAGE.mediaIds, media), 'logits');
  });

  test(`${rt.name}: two interleaved images`, async () => {
    const media = [latents(config, 1), latents(config, 2)];
    assertClose(await onnxLogits(rt, config, weights, TWO_IMAGES.ids, TWO_IMAGES.mediaIds, media),
      decoderForward(config, weights, TWO_IMAGES.ids, TWO_IMAGES.mediaIds, media), 'logits');
  });

  test(`${rt.name}: text before the first image`, async () => {
    const media = [latents(config, 3)];
    assertClose(await onnxLogits(rt, config, weights, TEXT_FIRST.ids, TEXT_FIRST.mediaIds, media),
      decoderForward(config, weights, TEXT_FIRST.ids, TEXT_FIRST.mediaIds, media), 'logits');
  });

  test(`${rt.name}: no media at all (one all-zero item, fully masked)`, async () => {
    const ids = [1, 12, 13, 14];
    const mediaIds = [0, 0, 0, 0];
    assertClose(await onnxLogits(rt, config, weights, ids, mediaIds, []), decoderForward(config, weights, ids, mediaIds, []), 'logits');
  });

  test(`${rt.name}: video, one media item from 3 frames, through vision -> resampler -> decoder`, async () => {
    const pixels = randomTensor([3, 3, ...config.vision.image_size], 31);
    const vision = await rt.run(buildNfnetVision(config, weights), (ort) => ({ pixels: f32(ort, pixels) }));
    const resampled = await rt.run(buildResampler(config, weights), (ort) => ({ features: f32(ort, vision.features) }));
    const mediaKv = concatMedia([new Map(Object.keys(resampled).filter((k) => k.startsWith('media_key.')).map((k) => {
      const i = Number(k.split('.')[1]);
      return [i, { key: resampled[`media_key.${i}`], value: resampled[`media_value.${i}`] }];
    }))]);
    const session = await rt.session(buildDecoder(config, weights));
    const out = await session.run(decoderFeeds(session.ort, config, { ...ONE_IMAGE, numMedia: 1, mediaKv, past: emptyPast(config) }));

    const refLatents = resamplerForward(config, weights, visionForward(config, weights, pixels));
    assert.equal(refLatents.shape[0] * refLatents.shape[1], resampled.latents.data.length);
    const expected = decoderForward(config, weights, ONE_IMAGE.ids, ONE_IMAGE.mediaIds, [refLatents]);
    assertClose({ shape: out.logits.shape.slice(1), data: out.logits.data }, expected, 'logits');
    assert.equal(vision.features.shape[1], visionPositions(config.vision));
  });

  test(`${rt.name}: step-by-step decoding with the KV cache equals the full forward pass`, async () => {
    const media = [latents(config, 1), latents(config, 2)];
    const { ids, mediaIds } = TWO_IMAGES;
    const expected = decoderForward(config, weights, ids, mediaIds, media);
    const vocab = config.lm.vocab_size;
    const session = await rt.session(buildDecoder(config, weights));
    const mediaKv = concatMedia(media.map((l) => mediaKeysValues(config, weights, l)));
    // Prefill 4 tokens from an empty past, then one token per call.
    let past = emptyPast(config);
    let start = 0;
    for (const end of [4, 5, 6, 7, 8, 9, 10, 11]) {
      const out = await session.run(decoderFeeds(session.ort, config, {
        ids: ids.slice(start, end), mediaIds: mediaIds.slice(start, end), numMedia: 2, mediaKv, past,
      }));
      const rows = { shape: [end - start, vocab], data: expected.data.slice(start * vocab, end * vocab) };
      assertClose({ shape: out.logits.shape.slice(1), data: out.logits.data }, rows, `tokens ${start}..${end - 1}`);
      // new_key|value are the present cache's last rows: the past with them appended is the present.
      past.forEach((p, i) => {
        for (const kind of ['key', 'value'] as const) {
          const present = out[`present_${kind}.${i}`];
          assert.deepEqual(appendPositions(p[kind], out[`new_${kind}.${i}`]), present, `layer ${i} ${kind}: past + new_${kind} != present_${kind}`);
        }
      });
      past = past.map((_, i) => ({ key: out[`present_key.${i}`], value: out[`present_value.${i}`] }));
      assert.deepEqual(past[0].key.shape, [1, config.lm.n_kv_heads, end, config.lm.dim / config.lm.n_heads]);
      start = end;
    }
  });

  for (const variant of [
    { label: 'kv heads = heads, untied output, gated every 2', patch: (c: FlamingoConfig) => {
      c.lm.n_kv_heads = c.lm.n_heads; c.lm.tie_embeddings = false; c.lm.n_layers = 4; c.xattn.every = 2;
    } },
    { label: 'one kv head, gated every 1', patch: (c: FlamingoConfig) => { c.lm.n_kv_heads = 1; } },
  ]) {
    test(`${rt.name}: ${variant.label}`, async () => {
      const c = tinyConfig();
      variant.patch(c);
      const w = randomWeights(c, 5);
      const media = [latents(c, 1), latents(c, 2)];
      assertClose(await onnxLogits(rt, c, w, TWO_IMAGES.ids, TWO_IMAGES.mediaIds, media),
        decoderForward(c, w, TWO_IMAGES.ids, TWO_IMAGES.mediaIds, media), 'logits');
    });
  }
}

/** [1, kvH, P, hd] then [1, kvH, S, hd] -> [1, kvH, P + S, hd]: positions appended per head. */
function appendPositions(past: HostTensor, added: HostTensor): HostTensor {
  const [, kvH, P, hd] = past.shape, S = added.shape[2];
  const data = new Float32Array(kvH * (P + S) * hd);
  for (let h = 0; h < kvH; h++) {
    data.set(past.data.subarray(h * P * hd, (h + 1) * P * hd), h * (P + S) * hd);
    data.set(added.data.subarray(h * S * hd, (h + 1) * S * hd), (h * (P + S) + P) * hd);
  }
  return { shape: [1, kvH, P + S, hd], data };
}
