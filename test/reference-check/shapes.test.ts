// Shapes of the vision encoder and resampler, the NFNet weight standardisation, erf, and
// the random weights' determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type FlamingoConfig, visionPositions, visionWidth, xattnLayers } from '../../src/flamingo/config';
import { randomWeights, randomVisionResamplerXattn, Rng } from '../../src/builder/random-weights';
import { tensor } from '../../src/builder/weights';
import { mediaKeysValues, resamplerForward, visionForward } from '../reference';
import { erf, gelu } from '../reference/ops';
import { tinyNfnetConfig, tinyVitConfig } from '../reference/tiny-configs';

function pixels(config: FlamingoConfig, frames: number, seed: number) {
  const [h, w] = config.vision.image_size;
  const rng = new Rng(seed);
  return tensor([frames, 3, h, w], Float32Array.from({ length: frames * 3 * h * w }, () => rng.normal()));
}

for (const [label, makeConfig] of [['nfnet', tinyNfnetConfig], ['vit', tinyVitConfig]] as const) {
  for (const frames of [1, 3]) {
    test(`${label}: vision [${frames},3,H,W] -> [${frames},P,Dv] -> resampler [N,Dv] -> media keys/values`, () => {
      const config = makeConfig();
      const weights = randomWeights(config, 1);
      const features = visionForward(config, weights, pixels(config, frames, 2));
      const [p, dv] = [visionPositions(config.vision), visionWidth(config.vision)];
      assert.deepEqual(features.shape, [frames, p, dv]);
      assert.ok(features.data.every(Number.isFinite));
      const latents = resamplerForward(config, weights, features);
      assert.deepEqual(latents.shape, [config.resampler.num_latents, dv]);
      assert.ok(latents.data.every(Number.isFinite));
      const kv = mediaKeysValues(config, weights, latents);
      assert.deepEqual([...kv.keys()], xattnLayers(config));
      for (const { key, value } of kv.values()) {
        const expected = [config.xattn.heads, config.resampler.num_latents, config.xattn.head_dim];
        assert.deepEqual(key.shape, expected);
        assert.deepEqual(value.shape, expected);
      }
    });
  }
}

test('nfnet: frames are encoded independently', () => {
  const config = tinyNfnetConfig();
  const weights = randomWeights(config, 1);
  const three = visionForward(config, weights, pixels(config, 3, 2));
  const frameSize = 3 * 16 * 16;
  const second = tensor([1, 3, 16, 16], pixels(config, 3, 2).data.slice(frameSize, 2 * frameSize));
  const featureSize = three.data.length / 3;
  assert.deepEqual(visionForward(config, weights, second).data, three.data.slice(featureSize, 2 * featureSize));
});

test('nfnet: weight standardisation makes the output invariant to the raw weights scale and offset', () => {
  const config = tinyNfnetConfig();
  const weights = randomWeights(config, 1);
  const x = pixels(config, 1, 2);
  const before = visionForward(config, weights, x);
  const conv = weights.get('vision.stages.0.blocks.0.conv1.weight')!;
  const scaled = new Map(weights).set('vision.stages.0.blocks.0.conv1.weight', tensor(conv.shape, conv.data.map((v) => 3 * v + 0.25)));
  const after = visionForward(config, scaled, x);
  const maxDiff = Math.max(...before.data.map((v, i) => Math.abs(v - after.data[i])));
  assert.ok(maxDiff < 1e-3, `max difference ${maxDiff}`); // eps 1e-4 in the variance makes it inexact
  // the gain is not standardised away
  const gain = weights.get('vision.stages.0.blocks.0.conv1.gain')!;
  const regained = new Map(weights).set('vision.stages.0.blocks.0.conv1.gain', tensor(gain.shape, gain.data.map((v) => 2 * v)));
  assert.notDeepEqual(visionForward(config, regained, x).data, before.data);
});

test('resampler: more frames than max_frames is refused', () => {
  const config = tinyNfnetConfig();
  const weights = randomWeights(config, 1);
  const features = tensor([5, visionPositions(config.vision), visionWidth(config.vision)]);
  assert.throws(() => resamplerForward(config, weights, features), /5 frames, but resampler.max_frames is 4/);
});

test('erf and gelu match tabulated values', () => {
  // erf values from Abramowitz & Stegun table 7.1 / high-precision tables
  const table: [number, number][] = [
    [0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149],
    [2, 0.9953222650189527], [3, 0.9999779095030014], [4, 0.9999999845827421], [-1.5, -0.9661051464753108],
  ];
  for (const [x, expected] of table) assert.ok(Math.abs(erf(x) - expected) < 1e-12, `erf(${x}) = ${erf(x)}, expected ${expected}`);
  assert.ok(Math.abs(gelu(1) - 0.8413447460685429) < 1e-12); // 1 * Phi(1)
});

test('random weights: deterministic per seed, gates as asked, LM-free extension', () => {
  const config = tinyVitConfig();
  const a = randomWeights(config, 5);
  const b = randomWeights(config, 5);
  const c = randomWeights(config, 6);
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [name, t] of a) assert.deepEqual(t.data, b.get(name)!.data, name);
  assert.notDeepEqual(a.get('lm.layers.0.attention.wq.weight')!.data, c.get('lm.layers.0.attention.wq.weight')!.data);
  assert.ok(a.has('lm.output.weight'), 'untied config gets a classifier');
  assert.equal(a.get('xattn.1.attn_gate')!.data[0], 0.5);
  assert.equal(randomWeights(config, 5, { gates: 0 }).get('xattn.3.ff_gate')!.data[0], 0);

  const extension = randomVisionResamplerXattn(config, 5);
  assert.ok([...extension.keys()].every((n) => !n.startsWith('lm.')));
  assert.deepEqual([...extension.keys()].sort(), [...a.keys()].filter((n) => !n.startsWith('lm.')).sort());
  assert.equal(extension.get('xattn.1.attn_gate')!.data[0], 0);
});
