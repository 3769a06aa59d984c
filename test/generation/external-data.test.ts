// A bundle whose graphs keep their weights in external data (<graph>.onnx.data) loads on
// both runtimes and decodes the same greedy tokens.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomWeights } from '../../src/builder/random-weights';
import { tinyNfnetConfig } from '../reference/tiny-configs';
import { TINY_TOKENS, tinyTokenizerJson } from '../unit/tiny-tokenizer';
import { BACKENDS, buildBundle, collect, openModel, testImage } from './helpers';

const config = tinyNfnetConfig();
// Wide enough for the decoder's weights (about 5 MB) to go to external data.
config.lm = { ...config.lm, dim: 256, hidden_dim: 512, n_heads: 8, n_kv_heads: 4, vocab_size: 276, max_seq_len: 64 };
const bundle = buildBundle('external', config, randomWeights(config, 11), tinyTokenizerJson(), TINY_TOKENS);
after(() => bundle.remove());

test('external data loads on onnxruntime-web WASM and onnxruntime-node, same greedy tokens', async () => {
  assert.ok(existsSync(join(bundle.dir, 'decoder.onnx.data')), 'the builder should have written decoder.onnx.data');
  const results: number[][] = [];
  for (const backend of BACKENDS) {
    const model = await openModel(bundle.dir, backend);
    const prompt = await model.preparePrompt([{ type: 'image', image: testImage(16, 16) }, { type: 'text', text: 'hello' }]);
    results.push(await collect(model.generateTokens(prompt, { temperature: 0, maxTokens: 6 })));
    await model.dispose();
  }
  assert.ok(results[0].length > 0);
  assert.deepEqual(results[1], results[0]);
});
