// The llama2.c checkpoint reader on a checkpoint written here (tied and untied classifier),
// its refusal of bad files, and the special-token rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addSpecialTokenRows, readLlama2cCheckpoint } from '../../src/builder/llama2c';
import { randomWeights } from '../../src/builder/random-weights';
import type { WeightMap } from '../../src/builder/weights';
import type { LmConfig } from '../../src/flamingo/config';
import { decoderForward } from '../reference';
import { tinyNfnetConfig } from '../reference/tiny-configs';

/** The llama2.c v0 layout, written independently of the reader's table. */
function writeCheckpoint(lm: LmConfig, weights: WeightMap): Uint8Array {
  const layers = (name: string) => Array.from({ length: lm.n_layers }, (_, i) => weights.get(`lm.layers.${i}.${name}`)!.data);
  const ropeTable = new Float32Array(lm.max_seq_len * (lm.dim / lm.n_heads / 2)).fill(7);
  const arrays = [
    weights.get('lm.tok_embeddings.weight')!.data,
    ...layers('attention_norm.weight'), ...layers('attention.wq.weight'), ...layers('attention.wk.weight'),
    ...layers('attention.wv.weight'), ...layers('attention.wo.weight'), ...layers('ffn_norm.weight'),
    ...layers('feed_forward.w1.weight'), ...layers('feed_forward.w2.weight'), ...layers('feed_forward.w3.weight'),
    weights.get('lm.norm.weight')!.data, ropeTable, ropeTable,
    ...(lm.tie_embeddings ? [] : [weights.get('lm.output.weight')!.data]),
  ];
  const header = new Int32Array([lm.dim, lm.hidden_dim, lm.n_layers, lm.n_heads, lm.n_kv_heads,
    lm.tie_embeddings ? lm.vocab_size : -lm.vocab_size, lm.max_seq_len]);
  return new Uint8Array(Buffer.concat([header, ...arrays].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
}

for (const tied of [true, false]) {
  test(`llama2.c checkpoint round trip, ${tied ? 'tied' : 'untied'} classifier`, () => {
    const config = tinyNfnetConfig();
    config.lm.tie_embeddings = tied;
    const weights = randomWeights(config, 3);
    const lmWeights = new Map([...weights].filter(([n]) => n.startsWith('lm.')));
    const read = readLlama2cCheckpoint(writeCheckpoint(config.lm, weights));
    assert.deepEqual(read.lm, config.lm);
    assert.deepEqual([...read.weights.keys()].sort(), [...lmWeights.keys()].sort());
    for (const [name, t] of lmWeights) assert.deepEqual(read.weights.get(name), t, name);
  });
}

test('llama2.c checkpoint: a truncated file is refused with the sizes', () => {
  const config = tinyNfnetConfig();
  const bytes = writeCheckpoint(config.lm, randomWeights(config, 3));
  assert.throws(() => readLlama2cCheckpoint(bytes.subarray(0, bytes.length - 4)), /bytes, but the header .* needs/);
  assert.throws(() => readLlama2cCheckpoint(bytes.subarray(0, 10)), /shorter than the header/);
});

for (const tied of [true, false]) {
  test(`special-token rows keep the original logits and argmax, ${tied ? 'tied' : 'untied'}`, () => {
    const config = tinyNfnetConfig();
    config.lm.tie_embeddings = tied;
    config.xattn.every = 0;
    const weights = randomWeights(config, 3);
    const extended = addSpecialTokenRows(weights, 2);
    const bigger = { ...config, lm: { ...config.lm, vocab_size: config.lm.vocab_size + 2 } };
    const ids = [1, 4, 9, 2];
    const before = decoderForward(config, weights, ids, [0, 0, 0, 0], []);
    const after = decoderForward(bigger, extended, ids, [0, 0, 0, 0], []);
    const v = config.lm.vocab_size;
    for (let s = 0; s < ids.length; s++) {
      const old = before.data.slice(s * v, (s + 1) * v);
      const row = after.data.slice(s * (v + 2), (s + 1) * (v + 2));
      assert.deepEqual(row.slice(0, v), old);
      assert.ok(Math.max(row[v], row[v + 1]) < Math.max(...old), 'a new token would win the argmax');
    }
    assert.equal(weights.get('lm.tok_embeddings.weight')!.shape[0], v, 'the input map is left as it was');
  });
}
