// stories260K, a real pretrained Llama (../shared/data/stories260K), imported through the
// builder: greedy decoding from BOS must give its README's text exactly, on onnxruntime-web
// WASM and onnxruntime-node, (a) as a plain LM, (b) with zero-gated cross-attention layers
// and an image attached to BOS, and (c) with [BOS, <image>] the same tokens with and without
// the zero-gated layers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { addSpecialTokenRows, FLAMINGO_SPECIAL_TOKENS, llama2cTokenizerJson, readLlama2cCheckpoint } from '../../src/builder/llama2c';
import { randomVisionResamplerXattn } from '../../src/builder/random-weights';
import type { FlamingoConfig } from '../../src/flamingo/config';
import type { FlamingoModel } from '../../src/flamingo';
import { tinyNfnetConfig } from '../reference/tiny-configs';
import { BACKENDS, buildBundle, collect, openModel, testImage } from './helpers';

const DATA = '../shared/data/stories260K';
const present = existsSync(`${DATA}/stories260K.bin`) && existsSync(`${DATA}/tok512.bin`) && existsSync(`${DATA}/README.md`);

/** The README's indented block: what greedy decoding from BOS must say. */
function expectedText(): string {
  const lines = readFileSync(`${DATA}/README.md`, 'utf8').split('\n').filter((l) => l.startsWith('    '));
  assert.equal(lines.length, 1, 'the README should hold one indented block of one line');
  return lines[0].trim();
}

/** The shortest prefix of the tokens that decodes to exactly `text`, or undefined. */
function prefixDecodingTo(model: FlamingoModel, tokens: number[], text: string): number[] | undefined {
  for (let k = 1; k <= tokens.length; k++) {
    const decoded = model.tokenizer.decode(tokens.slice(0, k));
    if (decoded === text) return tokens.slice(0, k);
    if (!text.startsWith(decoded.replace(/\uFFFD$/, ''))) return undefined;
  }
  return undefined;
}

describe('stories260K', { skip: present ? false : `skipped: ${DATA} (relative to the repository root) is absent` }, () => {
  const bundles: Record<string, { dir: string; remove(): void }> = {};
  const models = new Map<string, FlamingoModel>();
  const model = (kind: 'plain' | 'xattn', backend: string) => models.get(`${kind}/${backend}`)!;
  const maxTokens = 100;
  const image = testImage(40, 30, 3);

  before(async () => {
    const { lm, weights } = readLlama2cCheckpoint(new Uint8Array(readFileSync(`${DATA}/stories260K.bin`)));
    const vocab = lm.vocab_size;
    const tokenizerJson = llama2cTokenizerJson(new Uint8Array(readFileSync(`${DATA}/tok512.bin`)), vocab, FLAMINGO_SPECIAL_TOKENS);
    const tokens = { bos: 1, eos: 2, pad: 0, image: vocab, endofchunk: vocab + 1 };
    const lmWeights = addSpecialTokenRows(weights, FLAMINGO_SPECIAL_TOKENS.length);
    const tiny = tinyNfnetConfig();
    for (const every of [0, 1]) {
      const config: FlamingoConfig = {
        vision: tiny.vision, resampler: tiny.resampler,
        lm: { ...lm, vocab_size: vocab + FLAMINGO_SPECIAL_TOKENS.length },
        xattn: { ...tiny.xattn, every },
      };
      const all = new Map([...lmWeights, ...randomVisionResamplerXattn(config, 99)]); // gates 0
      const kind = every ? 'xattn' : 'plain';
      bundles[kind] = buildBundle(`stories-${kind}`, config, all, tokenizerJson, tokens);
      for (const b of BACKENDS) models.set(`${kind}/${b}`, await openModel(bundles[kind].dir, b));
    }
  });
  after(async () => {
    for (const m of models.values()) await m.dispose();
    for (const b of Object.values(bundles)) b.remove();
  });

  for (const backend of BACKENDS) {
    test(`(a) plain LM from BOS says the README's text (${backend})`, async () => {
      const m = model('plain', backend);
      assert.equal(m.hasCrossAttention, false);
      const tokens = await collect(m.generateTokens({ ids: [1], mediaIds: [0], media: [] }, { temperature: 0, maxTokens }));
      const decoded = m.tokenizer.decode(tokens);
      assert.ok(prefixDecodingTo(m, tokens, expectedText()), `got: ${decoded}`);
    });

    test(`(b) zero-gated cross-attention, BOS carrying a real image, says the same (${backend})`, async () => {
      const m = model('xattn', backend);
      assert.equal(m.hasCrossAttention, true);
      const handle = await m.encodeMedia([image]);
      assert.ok(handle.keys.size > 0 && [...handle.keys.values()].some((k) => k.some((v) => Math.abs(v) > 1e-3)), 'the image has non-trivial keys');
      const tokens = await collect(m.generateTokens({ ids: [1], mediaIds: [1], media: [handle] }, { temperature: 0, maxTokens }));
      assert.ok(prefixDecodingTo(m, tokens, expectedText()), `got: ${m.tokenizer.decode(tokens)}`);
    });

    test(`(c) [BOS, <image>]: the same tokens with and without the zero-gated layers (${backend})`, async () => {
      const segments = [{ type: 'image' as const, image }];
      const withXattn = model('xattn', backend), plain = model('plain', backend);
      const prompt = await withXattn.preparePrompt(segments);
      assert.deepEqual(prompt.ids, [1, 512]);
      assert.deepEqual(prompt.mediaIds, [0, 1]);
      const a = await collect(withXattn.generateTokens(prompt, { temperature: 0, maxTokens: 40 }));
      const b = await collect(plain.generateTokens(await plain.preparePrompt(segments), { temperature: 0, maxTokens: 40 }));
      assert.ok(a.length >= 10, `needs some tokens, got ${a.length}`);
      assert.deepEqual(a, b);
    });
  }
});
