// Bundles, weights and files: writeBundle (manifest read back by the runtime's loader, external
// data on both runtimes), weight validation errors, safetensors round trips.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import type { FlamingoConfig } from '../../src/flamingo/config';
import { loadBundle } from '../../src/flamingo/bundle';
import { folderSource } from '../../src/node/files';
import { BundleInput, writeBundle } from '../../src/builder/bundle';
import { byteLevelTokenizerJson, byteLevelTokens } from '../../src/builder/byte-tokenizer';
import { buildDecoder } from '../../src/builder/decoder';
import { encodeModel } from '../../src/builder/onnx/model';
import { randomWeights } from '../../src/builder/random-weights';
import { readSafetensors, writeSafetensors } from '../../src/builder/safetensors';
import { validateWeights } from '../../src/builder/weight-spec';
import type { WeightMap } from '../../src/builder/weights';
import { decoderFeeds, emptyPast, tinyConfig } from './helpers';

const temp = mkdtempSync(join(tmpdir(), 'flamingo-builder-test-'));
test.after(() => rmSync(temp, { recursive: true, force: true }));

function bundleInput(config: FlamingoConfig, weights: WeightMap): BundleInput {
  return {
    name: 'tiny', description: 'test bundle', config, weights,
    tokenizerJson: byteLevelTokenizerJson(config.lm.vocab_size), tokens: byteLevelTokens(config.lm.vocab_size),
    preprocess: { image_size: config.vision.image_size, resize: 'letterbox', pad_rgb: [255, 255, 255], mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5], tiles: null, max_frames: 4, video_fps: 1 },
    generation: { max_tokens: 8, temperature: 0, top_k: 0, top_p: 1, repetition_penalty: 1, prompt: '<image>{prompt}' },
  };
}

// A decoder over 2 MB (vocab 9000 x dim 64 embedding alone is 2.3 MB) goes to external data.
const bigVocab = tinyConfig();
bigVocab.lm = { ...bigVocab.lm, dim: 64, hidden_dim: 96, vocab_size: 9000 };
const bigWeights = randomWeights(bigVocab, 9);

test('writeBundle writes a bundle the runtime loader accepts (sizes, sha256, manifest)', async () => {
  const dir = join(temp, 'big');
  const summary = writeBundle(dir, bundleInput(bigVocab, bigWeights));
  const bundle = await loadBundle(folderSource(dir));
  assert.equal(bundle.manifest.format, 'flamingo-bundle');
  assert.deepEqual(bundle.manifest.config, bigVocab);
  assert.deepEqual([...bundle.files.keys()].sort(),
    ['decoder.onnx', 'decoder.onnx.data', 'resampler.onnx', 'tokenizer.json', 'vision.onnx']);
  assert.ok(summary.files.find((f) => f.path === 'decoder.onnx')!.size < 100_000, 'the weights went to decoder.onnx.data');
  assert.equal(summary.parameters.lm, [...bigWeights].filter(([n]) => n.startsWith('lm.')).reduce((s, [, t]) => s + t.data.length, 0));
});

test('a decoder with external data runs on both runtimes and equals the in-memory graph', async () => {
  const dir = join(temp, 'big');
  const feedsFor = (ort: typeof ortNode) => decoderFeeds(ort, bigVocab, {
    ids: [1, 2, 3], mediaIds: [0, 0, 0], numMedia: 0, past: emptyPast(bigVocab),
    mediaKv: new Map([...Array(bigVocab.lm.n_layers).keys()].map((i) => {
      const shape = [bigVocab.xattn.heads, bigVocab.resampler.num_latents, bigVocab.xattn.head_dim];
      const zero = { shape, data: new Float32Array(shape[0] * shape[1] * shape[2]) };
      return [i, { key: zero, value: zero }];
    })),
  });
  const inMemory = await ortNode.InferenceSession.create(encodeModel(buildDecoder(bigVocab, bigWeights)).model);
  const expected = (await inMemory.run(feedsFor(ortNode))).logits.data as Float32Array;

  const fromFile = await ortNode.InferenceSession.create(join(dir, 'decoder.onnx'));
  assert.deepEqual((await fromFile.run(feedsFor(ortNode))).logits.data, expected);

  const web = await ortWeb.InferenceSession.create(readFileSync(join(dir, 'decoder.onnx')), {
    externalData: [{ path: 'decoder.onnx.data', data: readFileSync(join(dir, 'decoder.onnx.data')) }],
  });
  const webLogits = (await web.run(feedsFor(ortWeb as unknown as typeof ortNode))).logits.data as Float32Array;
  assert.ok(webLogits.every((v, i) => Math.abs(v - expected[i]) < 1e-4));
});

test('a small bundle keeps its weights inside the .onnx files', () => {
  const config = tinyConfig();
  config.lm.vocab_size = 300; // the byte-level tokenizer needs 261
  const summary = writeBundle(join(temp, 'small'), bundleInput(config, randomWeights(config, 1)));
  assert.ok(!summary.files.some((f) => f.path.endsWith('.data')));
});

test('malformed weights are refused with every problem named, before anything is written', () => {
  const config = tinyConfig();
  config.lm.vocab_size = 300;
  const weights = randomWeights(config, 1);
  weights.delete('lm.layers.1.attention.wq.weight');
  weights.set('lm.layers.0.ffn_norm.weight', { shape: [7], data: new Float32Array(7) });
  weights.set('xattn.9.attn_gate', { shape: [1], data: new Float32Array(1) });
  const dir = join(temp, 'refused');
  assert.throws(() => writeBundle(dir, bundleInput(config, weights)), (e: Error) => {
    assert.match(e.message, /weights do not match the config \(3 problems\)/);
    assert.match(e.message, /missing "lm\.layers\.1\.attention\.wq\.weight" \[32,32\]/);
    assert.match(e.message, /"lm\.layers\.0\.ffn_norm\.weight" has shape \[7\], expected \[32\]/);
    assert.match(e.message, /unexpected "xattn\.9\.attn_gate"/);
    return true;
  });
  assert.ok(!existsSync(dir));
  assert.doesNotThrow(() => validateWeights(config, randomWeights(config, 1)));
});

test('safetensors: F32 round trip, and F16/BF16 read as float32', () => {
  const weights: WeightMap = new Map([
    ['a', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-8, 0, -0.25]) }],
    ['b.c', { shape: [1], data: Float32Array.from([42]) }],
  ]);
  const back = readSafetensors(writeSafetensors(weights, { format: 'pt' }));
  assert.deepEqual(back, weights);

  // 1.5, -2, the smallest subnormal, 65504 in F16; 1.5, -2 in BF16.
  const header = JSON.stringify({
    h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
    b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
  });
  const headerBytes = new TextEncoder().encode(header);
  const file = new Uint8Array(8 + headerBytes.length + 12);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  file.set(headerBytes, 8);
  const halves = new DataView(file.buffer, 8 + headerBytes.length);
  [0x3e00, 0xc000, 0x0001, 0x7bff, 0x3fc0, 0xc000].forEach((v, i) => halves.setUint16(i * 2, v, true));
  const read = readSafetensors(file);
  assert.deepEqual([...read.get('h')!.data], [1.5, -2, 2 ** -24, 65504]);
  assert.deepEqual([...read.get('b')!.data], [1.5, -2]);
  assert.throws(() => readSafetensors(file.subarray(0, 20)), /header length \d+ exceeds the file/);
});
