// The imported stories260K LM (llama2.c format) must continue BOS exactly as its README says,
// through the reference decoder, bare and with zero-gated cross-attention layers added; its
// converted tokenizer.json must decode and encode that text consistently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import type { FlamingoConfig } from '../../src/flamingo/config';
import {
  addSpecialTokenRows, FLAMINGO_SPECIAL_TOKENS, llama2cTokenizerJson, readLlama2cCheckpoint, readLlama2cTokenizer,
} from '../../src/builder/llama2c';
import { randomVisionResamplerXattn, Rng } from '../../src/builder/random-weights';
import { tensor } from '../../src/builder/weights';
import { greedyGenerate, resamplerForward, visionForward } from '../reference';
import { tinyNfnetConfig } from '../reference/tiny-configs';

const DIR = '../shared/data/stories260K';
const skip = existsSync(`${DIR}/stories260K.bin`) ? false : `${DIR} is absent (run from the repo root with the shared data)`;
const BOS = 1;
const EOS = 2;

/** The README's indented block under "What it must say". */
function expectedText(): string {
  const readme = readFileSync(`${DIR}/README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## What it must say'));
  const lines = section.split('\n').filter((l) => l.startsWith('    '));
  assert.ok(lines.length > 0, 'README has no indented block under "What it must say"');
  return lines.map((l) => l.slice(4)).join('\n');
}

/** llama2.c's own decoding: pieces joined, "▁" as space, <0xXX> as bytes, the leading space after BOS dropped. */
function llama2cDecode(pieces: string[], ids: number[]): string {
  const bytes: number[] = [];
  ids.forEach((id, i) => {
    const byte = /^<0x([0-9A-F]{2})>$/.exec(pieces[id]);
    if (byte) return bytes.push(parseInt(byte[1], 16));
    let text = pieces[id].replaceAll('▁', ' ');
    if (i === 0 && text.startsWith(' ')) text = text.slice(1); // follows BOS
    bytes.push(...new TextEncoder().encode(text));
  });
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** llama2.c's encode (SentencePiece BPE): dummy prefix, code points, then merge the best-scoring pair until none. */
function llama2cEncode(pieces: string[], scores: number[], text: string): number[] {
  const ids = new Map(pieces.map((p, i) => [p, i]));
  const tokens: number[] = [];
  for (const ch of Array.from('▁' + text.replaceAll(' ', '▁'))) {
    const id = ids.get(ch);
    if (id !== undefined) tokens.push(id);
    else for (const b of new TextEncoder().encode(ch)) tokens.push(b + 3);
  }
  for (;;) {
    let best = -1;
    let bestScore = -Infinity;
    let bestId = -1;
    for (let i = 0; i + 1 < tokens.length; i++) {
      const merged = ids.get(pieces[tokens[i]] + pieces[tokens[i + 1]]);
      if (merged !== undefined && scores[merged] > bestScore) [best, bestScore, bestId] = [i, scores[merged], merged];
    }
    if (best < 0) return tokens;
    tokens.splice(best, 2, bestId);
  }
}

function stories() {
  const { lm, weights } = readLlama2cCheckpoint(readFileSync(`${DIR}/stories260K.bin`));
  const tokBytes = readFileSync(`${DIR}/tok512.bin`);
  const tokenizer = new Tokenizer(llama2cTokenizerJson(tokBytes, lm.vocab_size, FLAMINGO_SPECIAL_TOKENS), { clean_up_tokenization_spaces: false });
  return { lm, weights, tokenizer, ...readLlama2cTokenizer(tokBytes, lm.vocab_size) };
}

test('stories260K: header and weights as the README describes', { skip }, () => {
  const { lm, weights } = stories();
  assert.deepEqual(lm, {
    dim: 64, hidden_dim: 172, n_layers: 5, n_heads: 8, n_kv_heads: 4, vocab_size: 512, max_seq_len: 512,
    rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true,
  });
  assert.equal(weights.has('lm.output.weight'), false);
  assert.deepEqual(weights.get('lm.layers.4.attention.wk.weight')?.shape, [32, 64]);
  assert.deepEqual(weights.get('lm.layers.0.feed_forward.w2.weight')?.shape, [64, 172]);
});

test('stories260K: greedy from BOS reproduces the README text, and the tokenizer agrees', { skip }, (t) => {
  const { lm, weights, tokenizer, pieces, scores } = stories();
  const expected = expectedText();
  const encoded = tokenizer.encode(expected).ids;
  assert.deepEqual(encoded, llama2cEncode(pieces, scores, expected), 'HF BPE (derived merges) and llama2.c BPE encode differently');

  const config: FlamingoConfig = { ...tinyNfnetConfig(), lm, xattn: { ...tinyNfnetConfig().xattn, every: 0 } };
  const generated = greedyGenerate(config, weights, [BOS], encoded.length, [EOS]);
  assert.equal(llama2cDecode(pieces, generated), expected, 'reference decoder text (decoded the llama2.c way)');
  assert.equal(tokenizer.decode(generated), expected, 'HF tokenizer.json decoding of the generated ids');
  const same = generated.length === encoded.length && generated.every((id, i) => id === encoded[i]);
  t.diagnostic(`generated ${generated.length} tokens; encoding the text gives ${encoded.length}; ids identical: ${same}`);
  assert.ok(same, 'the model generated the canonical tokenization of its text');
});

test('stories260K + zero-gated cross-attention layers and <image> rows: same text, whatever the image', { skip }, () => {
  const { lm, weights, tokenizer } = stories();
  const expected = expectedText();
  const n = tokenizer.encode(expected).ids.length;
  assert.equal(tokenizer.token_to_id('<image>'), lm.vocab_size);
  assert.equal(tokenizer.token_to_id('<|endofchunk|>'), lm.vocab_size + 1);
  const extended = { ...lm, vocab_size: lm.vocab_size + FLAMINGO_SPECIAL_TOKENS.length };
  const config: FlamingoConfig = { ...tinyNfnetConfig(), lm: extended };
  const all = new Map([...addSpecialTokenRows(weights, FLAMINGO_SPECIAL_TOKENS.length), ...randomVisionResamplerXattn(config, 7)]);

  const [h, w] = config.vision.image_size;
  for (const seed of [11, 12]) {
    const rng = new Rng(seed);
    const pixels = tensor([1, 3, h, w], Float32Array.from({ length: 3 * h * w }, () => rng.normal()));
    const latents = resamplerForward(config, all, visionForward(config, all, pixels));
    // BOS belongs to the image, so every token cross-attends to it (through gates at 0)
    const generated = greedyGenerate(config, all, [BOS], n, [EOS], { mediaIds: [1], latents: [latents] });
    assert.equal(tokenizer.decode(generated), expected, `image from seed ${seed}`);
  }
});
