// The engine on a random-weight Flamingo (gates 0.5, so the images matter): KV-cached
// decoding matches the reference forward pass, streaming matches the token output,
// cancellation, stop tokens, min and max tokens, the warm-up, and the same greedy tokens on
// both runtimes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomWeights } from '../../src/builder/random-weights';
import { tensor } from '../../src/builder/weights';
import { BundleError, FlamingoModel, loadBundle, type Manifest, type PreparedPrompt } from '../../src/flamingo';
import type { FlamingoConfig } from '../../src/flamingo/config';
import { folderSource } from '../../src/node/files';
import { loadOrt } from '../../src/node/ort';
import { greedyGenerate, resamplerForward, visionForward } from '../reference';
import { imageViews, toPixels } from '../../src/flamingo/preprocess';
import { tinyNfnetConfig } from '../reference/tiny-configs';
import { TINY_TOKENS, tinyTokenizerJson } from '../unit/tiny-tokenizer';
import { BACKENDS, buildBundle, collect, openModel, testImage } from './helpers';

const config = { ...tinyNfnetConfig() };
config.lm = { ...config.lm, vocab_size: 276, max_seq_len: 64 }; // the tiny tokenizer's vocabulary
const weights = randomWeights(config, 1234);
const bundle = buildBundle('random', config, weights, tinyTokenizerJson(), TINY_TOKENS);
const models = new Map<string, FlamingoModel>();
let prompt: PreparedPrompt;

before(async () => {
  for (const b of BACKENDS) models.set(b, await openModel(bundle.dir, b));
  const model = models.get('node')!;
  prompt = await model.preparePrompt([
    { type: 'text', text: 'ab' }, { type: 'image', image: testImage(20, 12, 1) }, { type: 'answer', text: 'hello' },
    { type: 'image', image: testImage(9, 16, 2) }, { type: 'text', text: 'hello ab' },
  ]);
});
after(async () => {
  for (const m of models.values()) await m.dispose();
  bundle.remove();
});

const greedy = { temperature: 0, maxTokens: 12 };
const stopIds = [TINY_TOKENS.eos, TINY_TOKENS.endofchunk];

test('KV-cached greedy decoding equals the reference forward pass, on onnxruntime-web WASM and onnxruntime-node', async () => {
  assert.deepEqual(prompt.mediaIds.slice(0, 4), [0, 0, 1, 1]);
  const latents = prompt.media.map((m) => tensor([config.resampler.num_latents, m.latents.length / config.resampler.num_latents], m.latents));
  const expected = greedyGenerate(config, weights, prompt.ids, greedy.maxTokens, stopIds, { mediaIds: prompt.mediaIds, latents });
  for (const [backend, model] of models) {
    assert.deepEqual(await collect(model.generateTokens(prompt, greedy)), expected, backend);
  }
  assert.ok(expected.length >= 4, `the test needs a few tokens before a stop token, got ${expected.length}`);
});

test('media latents equal the reference vision encoder and resampler', async () => {
  const spec = models.get('node')!.manifest.preprocess;
  const image = testImage(20, 12, 1);
  const views = imageViews(image, spec);
  const [H, W] = spec.image_size;
  const features = visionForward(config, weights, tensor([views.length, 3, H, W], toPixels(views, spec)));
  const expected = resamplerForward(config, weights, features).data;
  for (const [backend, model] of models) {
    const { latents } = await model.encodeMedia([image]);
    assert.equal(latents.length, expected.length);
    const maxError = latents.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i])), 0);
    assert.ok(maxError < 1e-4, `${backend}: max error ${maxError}`);
  }
});

test('overlapping encodes give the latents of one encode after another (preprocessing buffers are not shared)', async () => {
  for (const [backend, model] of models) {
    const images = [testImage(20, 12, 1), testImage(9, 16, 2), testImage(31, 7, 3)];
    const sequential: Float32Array[] = [];
    for (const img of images) sequential.push((await model.encodeMedia([img])).latents);
    const overlapping = await Promise.all(images.map((img) => model.encodeMedia([img])));
    overlapping.forEach((h, i) => assert.deepEqual(h.latents, sequential[i], `${backend}, image ${i}`));
  }
});

test('streamed text concatenates to the decoded token output (sampling, seeded)', async () => {
  for (const [backend, model] of models) {
    const opts = { temperature: 1.5, seed: 7, maxTokens: 20 };
    const tokens = await collect(model.generateTokens(prompt, opts));
    const deltas = await collect(model.generate([{ type: 'text', text: 'ab' }, { type: 'image', image: testImage(20, 12, 1) }, { type: 'answer', text: 'hello' }, { type: 'image', image: testImage(9, 16, 2) }, { type: 'text', text: 'hello ab' }], opts));
    assert.equal(deltas.join(''), model.tokenizer.decode(tokens), backend);
    // (random weights emit stray bytes; whole characters through byte tokens are covered in test/unit/stream)
    assert.ok(deltas.length > 1 && deltas.every((d) => d.length > 0), `${backend}: ${JSON.stringify(deltas)}`);
  }
});

test('cancellation stops within one step, with an AbortError', async () => {
  const model = models.get('wasm')!;
  const controller = new AbortController();
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const id of model.generateTokens(prompt, { ...greedy, signal: controller.signal })) {
      seen.push(id);
      if (seen.length === 2) controller.abort();
    }
  }, { name: 'AbortError' });
  assert.equal(seen.length, 2);
  const already = AbortSignal.abort();
  await assert.rejects(collect(model.generate([{ type: 'text', text: 'ab' }], { signal: already })), { name: 'AbortError' });
});

test('stop tokens end generation and are not emitted; max tokens is honoured', async () => {
  const model = models.get('node')!;
  // Seeded sampling: the same draws every run. The check needs a token that first appears at
  // position k >= 2, to declare it a stop token: take the first seed whose draws have one.
  let sampled = { temperature: 1.5, seed: 0, maxTokens: 12 };
  let tokens: number[] = [];
  let k = -1;
  for (let seed = 1; seed <= 20 && k < 2; seed++) {
    sampled = { ...sampled, seed };
    tokens = await collect(model.generateTokens(prompt, sampled));
    assert.equal(tokens.length, 12);
    k = tokens.findIndex((t, i) => i >= 2 && !tokens.slice(0, i).includes(t));
  }
  assert.ok(k >= 2, `no seed in 1..20 draws a token that first appears at position 2 or later (last: ${tokens})`);
  assert.equal((await collect(model.generateTokens(prompt, { ...sampled, maxTokens: 3 }))).length, 3);
  // Generation with that token declared a stop token ends before it.
  for (const kind of ['eos', 'endofchunk'] as const) {
    const stopped = await openWithManifest((m) => ({ ...m, tokens: { ...m.tokens, [kind]: tokens[k] } }));
    assert.deepEqual(await collect(stopped.generateTokens(prompt, sampled)), tokens.slice(0, k), kind);
    // minTokens holds stop tokens back (their probability is 0, so the other draws change too).
    const held = await collect(stopped.generateTokens(prompt, { ...sampled, minTokens: 12 }));
    assert.equal(held.length, 12, kind);
    assert.ok(!held.includes(tokens[k]), `${kind}: ${held}`);
    await stopped.dispose();
  }
});

test('warm-up leaves the answers unchanged, and stops when its signal aborts', async () => {
  const model = models.get('wasm')!;
  const before = await collect(model.generateTokens(prompt, greedy));
  await model.warmUp({ rounds: 2 });
  assert.deepEqual(await collect(model.generateTokens(prompt, greedy)), before);
  await assert.rejects(model.warmUp({ signal: AbortSignal.abort() }), { name: 'AbortError' });
  // Far more rounds than the test's time allows: only the abort ends it.
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(model.warmUp({ rounds: 1e6, signal: controller.signal }), { name: 'AbortError' });
});

test('stop strings cut the text', async () => {
  const model = models.get('node')!;
  const full = (await collect(model.generate([{ type: 'text', text: 'ab' }], { ...greedy, maxTokens: 12 }))).join('');
  assert.ok(full.length >= 4, `needs some text, got ${JSON.stringify(full)}`);
  const stop = full.slice(2, 4);
  const cut = (await collect(model.generate([{ type: 'text', text: 'ab' }], { ...greedy, maxTokens: 12, stop: [stop] }))).join('');
  assert.equal(cut, full.slice(0, full.indexOf(stop)));
});

test('timings are reported', async () => {
  const model = models.get('wasm')!;
  let timings: import('../../src/flamingo').Timings | undefined;
  await collect(model.generate([{ type: 'image', image: testImage(16, 16) }, { type: 'text', text: 'ab' }], { ...greedy, onTimings: (t) => { timings = t; } }));
  assert.ok(timings);
  assert.equal(timings.promptTokens, 3); // BOS <image> ▁ab
  assert.ok(timings.generatedTokens > 0 && timings.prefillMs > 0 && timings.encodeMs > 0 && timings.tokensPerSecond > 0);
});

test('graphs that do not match the config are refused with a BundleError', async () => {
  const refuse = async (edit: (c: FlamingoConfig) => FlamingoConfig, message: RegExp) => {
    await assert.rejects(openWithManifest((m) => ({ ...m, config: edit(m.config) })), (e: unknown) => {
      assert.ok(e instanceof BundleError && e.code === 'graph-mismatch', String(e));
      assert.match(e.message, message);
      return true;
    });
  };
  await refuse((c) => ({ ...c, lm: { ...c.lm, n_layers: 4 } }), /resampler\.onnx outputs do not match the config: missing media_key\.3, media_value\.3/);
  await refuse((c) => ({ ...c, xattn: { ...c.xattn, every: 0 } }), /resampler\.onnx outputs .* unexpected media_key\.0/);
  await refuse((c) => ({ ...c, lm: { ...c.lm, n_kv_heads: 4 } }), /decoder\.onnx: "past_key\.0" has shape \[batch,2,past_sequence,4\], the config needs \[\?,4,\?,4\]/);
  await refuse((c) => ({ ...c, resampler: { ...c.resampler, num_latents: 5 } }), /resampler\.onnx: "latents" has shape \[3,12\]/);
});

/** The same graph files under an edited manifest (the manifest is not hashed). */
async function openWithManifest(edit: (m: Manifest) => Manifest): Promise<FlamingoModel> {
  const b = await loadBundle(folderSource(bundle.dir));
  return FlamingoModel.create({ ...b, manifest: edit(b.manifest) }, await loadOrt('node'));
}
