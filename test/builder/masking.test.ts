// Media masking through the ONNX decoder, exactly (bit for bit), on both runtimes:
// - a token sees only its own media item: changing an item that no token belongs to changes nothing;
// - tokens before an image never see it: changing image 2 leaves every earlier logit unchanged,
//   and tokens before the first image are unchanged by any image;
// - with every gate at 0 the decoder equals the one built with no gated blocks (xattn.every = 0).
// (Changing image 1 does change the logits of image 2's chunk: its tokens attend to image 1's
// chunk through causal self-attention, as in Flamingo; only their cross-attention ignores it.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlamingoConfig } from '../../src/flamingo/config';
import { visionWidth } from '../../src/flamingo/config';
import { buildDecoder } from '../../src/builder/decoder';
import { randomWeights } from '../../src/builder/random-weights';
import type { HostTensor, WeightMap } from '../../src/builder/weights';
import { mediaKeysValues } from '../reference/index';
import { RUNTIMES, Runtime, concatMedia, decoderFeeds, emptyPast, randomTensor, tinyConfig } from './helpers';

const IMAGE = 38;
const EOC = 39;

async function logits(rt: Runtime, config: FlamingoConfig, weights: WeightMap, ids: number[], mediaIds: number[], media: HostTensor[]): Promise<Float32Array[]> {
  const session = await rt.session(buildDecoder(config, weights));
  const mediaKv = config.xattn.every ? concatMedia(media.map((l) => mediaKeysValues(config, weights, l))) : new Map();
  const out = await session.run(decoderFeeds(session.ort, config, { ids, mediaIds, numMedia: media.length, mediaKv, past: emptyPast(config) }));
  const vocab = config.lm.vocab_size;
  return ids.map((_, s) => out.logits.data.slice(s * vocab, (s + 1) * vocab)); // one row per token
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const image = (config: FlamingoConfig, seed: number) => randomTensor([config.resampler.num_latents, visionWidth(config.vision)], seed);

for (const rt of RUNTIMES) {
  const config = tinyConfig();
  const weights = randomWeights(config, 41);

  test(`${rt.name}: a token's logits ignore media items it does not belong to`, async () => {
    // Both items are passed; every token after BOS belongs to item 2.
    const ids = [1, IMAGE, 5, 6, 7, EOC];
    const mediaIds = [0, 2, 2, 2, 2, 2];
    const a = await logits(rt, config, weights, ids, mediaIds, [image(config, 1), image(config, 2)]);
    const b = await logits(rt, config, weights, ids, mediaIds, [image(config, 3), image(config, 2)]);
    a.forEach((row, s) => assert.ok(same(row, b[s]), `token ${s} changed with item 1`));
    const c = await logits(rt, config, weights, ids, mediaIds, [image(config, 1), image(config, 4)]);
    assert.ok(!same(a[2], c[2]), 'changing item 2 should change its tokens (the check would be vacuous)');
  });

  test(`${rt.name}: tokens before an image are unchanged by it`, async () => {
    const ids = [1, 12, 13, IMAGE, 5, 6, EOC, IMAGE, 8, 9, EOC];
    const mediaIds = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
    const base = await logits(rt, config, weights, ids, mediaIds, [image(config, 1), image(config, 2)]);
    const image2Changed = await logits(rt, config, weights, ids, mediaIds, [image(config, 1), image(config, 5)]);
    const image1Changed = await logits(rt, config, weights, ids, mediaIds, [image(config, 6), image(config, 2)]);
    for (let s = 0; s < 7; s++) assert.ok(same(base[s], image2Changed[s]), `token ${s} (before image 2) changed with image 2`);
    for (let s = 0; s < 3; s++) assert.ok(same(base[s], image1Changed[s]), `token ${s} (before any image) changed with image 1`);
    assert.ok(!same(base[7], image2Changed[7]) && !same(base[3], image1Changed[3]), 'images should change their own tokens');
  });

  test(`${rt.name}: all gates 0 gives logits bit-identical to the decoder without gated blocks`, async () => {
    const zeroGates = randomWeights(config, 43, { gates: 0 });
    const plain: FlamingoConfig = { ...config, xattn: { ...config.xattn, every: 0 } };
    const lmOnly: WeightMap = new Map([...zeroGates].filter(([name]) => name.startsWith('lm.')));
    const ids = [1, IMAGE, 5, 6, 7, EOC, IMAGE, 8];
    const mediaIds = [0, 1, 1, 1, 1, 1, 2, 2];
    const gated = await logits(rt, config, zeroGates, ids, mediaIds, [image(config, 1), image(config, 2)]);
    const bare = await logits(rt, plain, lmOnly, ids, mediaIds, []);
    gated.forEach((row, s) => assert.ok(same(row, bare[s]), `token ${s} differs`));
    const graph = buildDecoder(plain, lmOnly);
    assert.ok(!graph.inputs.some((i) => i.name.startsWith('media')), 'a plain LM has no media inputs');
  });
}
