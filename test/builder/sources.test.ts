// Weight sources of the builder: a weights folder (model-spec §8) read back exactly, and the
// real pretrained llama2.c LM (../shared/data/stories260K) imported with zero-gated cross-attention
// layers: its ONNX decoder, decoding greedily with the KV cache, must say what the README says.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { visionWidth } from '../../src/flamingo/config';
import { buildDecoder } from '../../src/builder/decoder';
import { randomWeights } from '../../src/builder/random-weights';
import { writeSafetensors } from '../../src/builder/safetensors';
import { fromLlama2c, fromWeightsFolder } from '../../src/builder/sources';
import { mediaKeysValues } from '../reference/index';
import { RUNTIMES, decoderFeeds, emptyPast, randomTensor, tinyConfig } from './helpers';

const temp = mkdtempSync(join(tmpdir(), 'flamingo-sources-test-'));
test.after(() => rmSync(temp, { recursive: true, force: true }));

test('a weights folder is read back exactly', () => {
  const config = tinyConfig();
  const weights = randomWeights(config, 4);
  const meta = { name: 'n', description: 'd', tokens: { bos: 1, eos: 2, pad: 0, image: 38, endofchunk: 39 }, preprocess: {}, generation: {} };
  writeFileSync(join(temp, 'config.json'), JSON.stringify(config));
  writeFileSync(join(temp, 'bundle.json'), JSON.stringify(meta));
  writeFileSync(join(temp, 'tokenizer.json'), '{"model":{}}');
  writeFileSync(join(temp, 'model.safetensors'), writeSafetensors(weights));
  const input = fromWeightsFolder(temp);
  assert.deepEqual(input.config, config);
  assert.deepEqual(input.weights, weights);
  assert.equal(input.name, 'n');
  assert.equal(input.tokenizerJson, '{"model":{}}');
});

const DATA = '../shared/data/stories260K';
const haveData = existsSync(join(DATA, 'stories260K.bin'));
const skip = haveData ? false : `${DATA} is absent (shared test data not available here)`;

/** The README's greedy continuation from BOS: the indented line after "greedy (argmax) decoding gives:". */
function expectedStory(): string {
  const lines = readFileSync(join(DATA, 'README.md'), 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes('greedy (argmax) decoding gives:'));
  const story = lines.slice(at + 1).find((l) => l.startsWith('    '));
  if (at < 0 || !story) throw new Error(`${DATA}/README.md no longer states the expected continuation`);
  return story.trim();
}

for (const every of [0, 1]) {
  test(`stories260K imported with xattn.every = ${every} (gates 0) continues BOS as its README says`, { skip }, async () => {
    const input = fromLlama2c(join(DATA, 'stories260K.bin'), join(DATA, 'tok512.bin'), { xattnEvery: every, seed: 7 });
    const { config, weights } = input;
    const tokenizer = new Tokenizer(input.tokenizerJson as object, {});
    const expected = expectedStory();
    // A random image, which zero gates must make irrelevant.
    const latents = randomTensor([config.resampler.num_latents, visionWidth(config.vision)], 3);
    const mediaKv = every ? mediaKeysValues(config, weights, latents) : new Map();
    for (const rt of RUNTIMES) {
      const session = await rt.session(buildDecoder(config, weights));
      const generated: number[] = [];
      let past = emptyPast(config);
      let ids = [input.tokens.bos];
      let mediaIds = [0];
      const said = () => (generated.length ? tokenizer.decode(generated, { skip_special_tokens: true }) : '');
      while (generated.length < 80 && said().length < expected.length) {
        const out = await session.run(decoderFeeds(session.ort, config, { ids, mediaIds, numMedia: 1, mediaKv, past }));
        const vocab = config.lm.vocab_size;
        const last = out.logits.data.subarray((ids.length - 1) * vocab, ids.length * vocab);
        const next = last.indexOf(Math.max(...last));
        generated.push(next);
        past = past.map((_, i) => ({ key: out[`present_key.${i}`], value: out[`present_value.${i}`] }));
        ids = [next];
        mediaIds = [1]; // new tokens belong to the last media item
      }
      assert.equal(said().slice(0, expected.length), expected, `${rt.name} said: ${said()}`);
    }
  });
}
