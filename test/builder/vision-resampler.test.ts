// Vision encoders and the Perceiver Resampler: ONNX graphs vs the plain-TypeScript reference,
// on onnxruntime-node and onnxruntime-web (WASM).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { visionPositions, visionWidth } from '../../src/flamingo/config';
import { buildNfnetVision } from '../../src/builder/vision-nfnet';
import { buildVitVision } from '../../src/builder/vision-vit';
import { buildResampler } from '../../src/builder/resampler';
import { randomWeights } from '../../src/builder/random-weights';
import { visionForward, resamplerForward, mediaKeysValues } from '../reference/index';
import { RUNTIMES, TOLERANCE, f32, maxAbsDiff, randomTensor, tinyConfig } from './helpers';

const nfnet = tinyConfig();
const vit = (act: 'quick_gelu' | 'gelu') => tinyConfig({
  vision: { type: 'vit', image_size: [16, 16], vit: { patch_size: 4, width: 16, layers: 2, heads: 2, mlp_dim: 32, act, ln_eps: 1e-5 } },
});

for (const rt of RUNTIMES) {
  for (const [label, config] of [['nfnet', nfnet], ['vit quick_gelu', vit('quick_gelu')], ['vit gelu', vit('gelu')]] as const) {
    test(`${rt.name}: ${label} vision matches the reference (2 frames)`, async () => {
      const weights = randomWeights(config, 1);
      const graph = config.vision.type === 'vit' ? buildVitVision(config, weights) : buildNfnetVision(config, weights);
      const pixels = randomTensor([2, 3, 16, 16], 7);
      const { features } = await rt.run(graph, (ort) => ({ pixels: f32(ort, pixels) }));
      const expected = visionForward(config, weights, pixels);
      assert.deepEqual(features.shape, [2, visionPositions(config.vision), visionWidth(config.vision)]);
      const diff = maxAbsDiff(features, expected);
      assert.ok(diff < TOLERANCE, `max abs diff ${diff}`);
    });
  }

  for (const frames of [1, 3]) {
    test(`${rt.name}: resampler with F = ${frames} matches the reference, media keys/values too`, async () => {
      const config = tinyConfig({ xattn: { every: 2, heads: 2, head_dim: 8, ff_mult: 2, ln_eps: 1e-5 } });
      config.lm.n_layers = 4; // gated blocks before layers 1 and 3
      const weights = randomWeights(config, 2);
      const features = randomTensor([frames, visionPositions(config.vision), visionWidth(config.vision)], 11 + frames);
      const out = await rt.run(buildResampler(config, weights), (ort) => ({ features: f32(ort, features) }));
      const latents = resamplerForward(config, weights, features);
      assert.ok(maxAbsDiff(out.latents, latents) < TOLERANCE, `latents diff ${maxAbsDiff(out.latents, latents)}`);
      const kv = mediaKeysValues(config, weights, latents);
      assert.deepEqual([...kv.keys()], [1, 3]);
      for (const [i, { key, value }] of kv) {
        assert.ok(maxAbsDiff(out[`media_key.${i}`], key) < TOLERANCE, `media_key.${i}`);
        assert.ok(maxAbsDiff(out[`media_value.${i}`], value) < TOLERANCE, `media_value.${i}`);
      }
    });
  }
}

test('resampler without temporal embeddings (max_frames 0) matches the reference', async () => {
  const config = tinyConfig();
  config.resampler.max_frames = 0;
  const weights = randomWeights(config, 3);
  const features = randomTensor([2, visionPositions(config.vision), visionWidth(config.vision)], 5);
  const out = await RUNTIMES[0].run(buildResampler(config, weights), (ort) => ({ features: f32(ort, features) }));
  assert.ok(maxAbsDiff(out.latents, resamplerForward(config, weights, features)) < TOLERANCE);
});
