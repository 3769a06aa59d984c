// tools/weights_from_bundle.py reads a bundle's weights back (undoing the builder's transposes,
// gate folding and weight standardisation); building again from them gives the same bundle:
// byte for byte where nothing was standardised, the same vision function to float rounding.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeBundle } from '../../src/builder/bundle';
import { byteLevelTokenizerJson, byteLevelTokens } from '../../src/builder/byte-tokenizer';
import { randomWeights } from '../../src/builder/random-weights';
import { fromWeightsFolder } from '../../src/builder/sources';
import { xattnLayers } from '../../src/flamingo/config';
import { maxAbsDiff, randomTensor, tinyConfig } from './helpers';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import onnx, numpy'], { encoding: 'utf8' });
const skip = probe.status !== 0 ? `${PYTHON} cannot import onnx and numpy (scripts/setup.sh installs python3-onnx)` : false;

const temp = mkdtempSync(join(tmpdir(), 'flamingo-weights-from-bundle-'));
test.after(() => rmSync(temp, { recursive: true, force: true }));

test('a bundle rebuilt from the weights read back out of it is the same bundle', { skip: skip || undefined }, async (t) => {
  // Big enough vocabulary for the decoder's weights to go to external data, as the shipped one's do.
  const config = tinyConfig();
  config.lm = { ...config.lm, dim: 64, hidden_dim: 96, vocab_size: 9000 };
  const weights = randomWeights(config, 21);
  const tanhGates: Record<string, { attn_gate: number; ff_gate: number }> = {};
  for (const i of xattnLayers(config)) { // distinct gates, of both signs
    weights.get(`xattn.${i}.attn_gate`)!.data[0] = 0.3 - 0.7 * i;
    weights.get(`xattn.${i}.ff_gate`)!.data[0] = -0.2 + 0.45 * i;
    tanhGates[i] = { attn_gate: Math.tanh(weights.get(`xattn.${i}.attn_gate`)!.data[0]), ff_gate: Math.tanh(weights.get(`xattn.${i}.ff_gate`)!.data[0]) };
  }
  const original = join(temp, 'original');
  writeBundle(original, {
    name: 'tiny', description: 'round trip', config, weights,
    tokenizerJson: byteLevelTokenizerJson(config.lm.vocab_size), tokens: byteLevelTokens(config.lm.vocab_size),
    preprocess: { image_size: config.vision.image_size, resize: 'letterbox', pad_rgb: [255, 255, 255], mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5], tiles: null, max_frames: 4, video_fps: 1 },
    generation: { max_tokens: 8, temperature: 0, top_k: 0, top_p: 1, repetition_penalty: 1, prompt: '<image>{prompt}' },
  });
  writeFileSync(join(original, 'training.json'), JSON.stringify({ tanh_gates: tanhGates })); // where the trainer records them
  assert.ok(existsSync(join(original, 'decoder.onnx.data')), 'the test bundle should use external data');

  const recovered = join(temp, 'weights');
  const run = spawnSync(PYTHON, ['tools/weights_from_bundle.py', original, recovered], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const rebuilt = join(temp, 'rebuilt');
  writeBundle(rebuilt, fromWeightsFolder(recovered));

  for (const file of ['resampler.onnx', 'decoder.onnx', 'decoder.onnx.data', 'tokenizer.json']) {
    assert.ok(readFileSync(join(rebuilt, file)).equals(readFileSync(join(original, file))), `${file} differs after the round trip`);
  }
  // Vision: re-standardising an equivalent weight rounds differently; the function is the same.
  const pixels = randomTensor([2, 3, 16, 16], 5);
  const features = async (dir: string) => {
    const session = await ort.InferenceSession.create(join(dir, 'vision.onnx'));
    const out = (await session.run({ pixels: new ort.Tensor('float32', pixels.data, pixels.shape) })).features;
    return { shape: [...out.dims], data: out.data as Float32Array };
  };
  const [a, b] = [await features(original), await features(rebuilt)];
  const scale = a.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const diff = maxAbsDiff(a, b);
  t.diagnostic(`vision features: max |difference| ${diff.toExponential(2)} (largest feature ${scale.toFixed(2)})`);
  assert.ok(diff <= 1e-5 * scale, `vision features differ by ${diff}`);
});
