// The zero-gate property and the media masking of the reference decoder, on random weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlamingoConfig } from '../../src/flamingo/config';
import { randomWeights, Rng } from '../../src/builder/random-weights';
import { type HostTensor, tensor, type WeightMap } from '../../src/builder/weights';
import { decoderForward, resamplerForward, visionForward } from '../reference';
import { tinyNfnetConfig, tinyVitConfig } from '../reference/tiny-configs';

function randomImage(config: FlamingoConfig, seed: number, frames = 1): HostTensor {
  const [h, w] = config.vision.image_size;
  const rng = new Rng(seed);
  return tensor([frames, 3, h, w], Float32Array.from({ length: frames * 3 * h * w }, () => rng.normal()));
}

function latentsOf(config: FlamingoConfig, weights: WeightMap, seed: number): HostTensor {
  return resamplerForward(config, weights, visionForward(config, weights, randomImage(config, seed)));
}

/** Rows [from, to) of logits [S, vocab]. */
function rows(logits: HostTensor, from: number, to: number): Float32Array {
  const vocab = logits.shape[1];
  return logits.data.slice(from * vocab, to * vocab);
}

// BOS, text, <image>, text, <image>, text: media ids 0 0 1 1 1 2 2 2
const ids = [1, 5, 18, 7, 9, 18, 3, 11];
const mediaIds = [0, 0, 1, 1, 1, 2, 2, 2];

for (const [label, makeConfig] of [['nfnet', tinyNfnetConfig], ['vit', tinyVitConfig]] as const) {
  test(`${label}: with every gate 0 the decoder equals the bare LM exactly`, () => {
    const config = makeConfig();
    const weights = randomWeights(config, 1, { gates: 0 });
    const media = [latentsOf(config, weights, 2), latentsOf(config, weights, 3)];
    const flamingo = decoderForward(config, weights, ids, mediaIds, media);
    const bare = decoderForward({ ...config, xattn: { ...config.xattn, every: 0 } }, weights, ids, ids.map(() => 0), []);
    assert.deepEqual(flamingo.shape, [ids.length, config.lm.vocab_size]);
    assert.deepEqual(flamingo.data, bare.data);

    // the same comparison fails once the gates open, so the one above can fail
    const open = decoderForward(config, randomWeights(config, 1, { gates: 0.5 }), ids, mediaIds, media);
    assert.notDeepEqual(open.data, bare.data);
  });

  test(`${label}: tokens with no media before them are unaffected by any image`, () => {
    const config = makeConfig();
    const weights = randomWeights(config, 1);
    const a = decoderForward(config, weights, ids, mediaIds, [latentsOf(config, weights, 2), latentsOf(config, weights, 3)]);
    const b = decoderForward(config, weights, ids, mediaIds, [latentsOf(config, weights, 4), latentsOf(config, weights, 5)]);
    assert.deepEqual(rows(a, 0, 2), rows(b, 0, 2));
    assert.notDeepEqual(rows(a, 2, ids.length), rows(b, 2, ids.length));
  });

  test(`${label}: each token cross-attends only to its own image`, () => {
    const config = makeConfig();
    // Self-attention cut (wo = 0): tokens then mix only through cross-attention, so a
    // token's logits can depend on an image only through its own cross-attention.
    const weights = randomWeights(config, 1);
    for (let i = 0; i < config.lm.n_layers; i++) weights.get(`lm.layers.${i}.attention.wo.weight`)!.data.fill(0);
    const image2 = latentsOf(config, weights, 3);
    const a = decoderForward(config, weights, ids, mediaIds, [latentsOf(config, weights, 2), image2]);
    const b = decoderForward(config, weights, ids, mediaIds, [latentsOf(config, weights, 4), image2]);
    assert.deepEqual(rows(a, 5, 8), rows(b, 5, 8), 'tokens of image 2 changed with image 1');
    assert.notDeepEqual(rows(a, 2, 5), rows(b, 2, 5), 'tokens of image 1 did not change with image 1');
  });
}

test('decoderForward refuses media ids that name no media item', () => {
  const config = tinyNfnetConfig();
  const weights = randomWeights(config, 1);
  assert.throws(() => decoderForward(config, weights, [1, 2], [0, 1], []), /media id 1 with 0 media items/);
  assert.throws(() => decoderForward(config, weights, [1, 2], [0], []), /1 media ids for 2 tokens/);
});
