// Imports a llama2.c ("v0") checkpoint and its tokenizer (tok*.bin): the LM weights under the
// `lm.*` names of docs/model-spec.md, and a Hugging Face tokenizer.json equivalent to the
// SentencePiece BPE model the tokenizer was exported from.
import type { LmConfig } from '../flamingo/config';
import { tensor, type HostTensor, type WeightMap } from './weights';

/** The special tokens a Flamingo prompt adds after the LM's vocabulary, at ids vocab, vocab+1. */
export const FLAMINGO_SPECIAL_TOKENS = ['<image>', '<|endofchunk|>'];

const HEADER_INTS = 7;

/** Checkpoint bytes -> LM config and `lm.*` weights; a negative vocab_size means an untied classifier. */
export function readLlama2cCheckpoint(bytes: Uint8Array): { lm: LmConfig; weights: WeightMap } {
  if (bytes.length < HEADER_INTS * 4) throw new Error(`llama2.c checkpoint: ${bytes.length} bytes is shorter than the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, signedVocab, seqLen] =
    Array.from({ length: HEADER_INTS }, (_, i) => view.getInt32(i * 4, true));
  const vocab = Math.abs(signedVocab);
  const tied = signedVocab > 0;
  for (const [name, v] of Object.entries({ dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen })) {
    if (!(v > 0)) throw new Error(`llama2.c checkpoint: header field ${name} is ${v}`);
  }
  if (dim % nHeads !== 0 || nHeads % nKvHeads !== 0) {
    throw new Error(`llama2.c checkpoint: dim ${dim}, n_heads ${nHeads}, n_kv_heads ${nKvHeads} do not divide evenly`);
  }
  const headSize = dim / nHeads;
  const kvDim = nKvHeads * headSize;

  // in file order: `lm.` name (null: skipped), shape of one tensor, stacked over layers or not
  const layout: { name: string | null; shape: number[]; perLayer: boolean }[] = [
    { name: 'tok_embeddings.weight', shape: [vocab, dim], perLayer: false },
    { name: 'attention_norm.weight', shape: [dim], perLayer: true },
    { name: 'attention.wq.weight', shape: [dim, dim], perLayer: true },
    { name: 'attention.wk.weight', shape: [kvDim, dim], perLayer: true },
    { name: 'attention.wv.weight', shape: [kvDim, dim], perLayer: true },
    { name: 'attention.wo.weight', shape: [dim, dim], perLayer: true },
    { name: 'ffn_norm.weight', shape: [dim], perLayer: true },
    { name: 'feed_forward.w1.weight', shape: [hiddenDim, dim], perLayer: true },
    { name: 'feed_forward.w2.weight', shape: [dim, hiddenDim], perLayer: true },
    { name: 'feed_forward.w3.weight', shape: [hiddenDim, dim], perLayer: true },
    { name: 'norm.weight', shape: [dim], perLayer: false },
    { name: null, shape: [seqLen, headSize / 2], perLayer: false }, // legacy RoPE tables (real, imag)
    { name: null, shape: [seqLen, headSize / 2], perLayer: false },
  ];
  if (!tied) layout.push({ name: 'output.weight', shape: [vocab, dim], perLayer: false });
  const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const floats = layout.reduce((sum, e) => sum + sizeOf(e.shape) * (e.perLayer ? nLayers : 1), 0);
  const expected = HEADER_INTS * 4 + floats * 4;
  if (bytes.length !== expected) {
    throw new Error(`llama2.c checkpoint: ${bytes.length} bytes, but the header (dim ${dim}, layers ${nLayers}, vocab ${signedVocab}) needs ${expected}`);
  }

  const weights: WeightMap = new Map();
  let offset = HEADER_INTS * 4;
  const read = (shape: number[]): HostTensor => {
    const data = new Float32Array(sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(offset + i * 4, true);
    offset += data.length * 4;
    return tensor(shape, data);
  };
  for (const { name, shape, perLayer } of layout) {
    if (!perLayer) {
      const t = read(shape);
      if (name !== null) weights.set(`lm.${name}`, t);
      continue;
    }
    for (let l = 0; l < nLayers; l++) weights.set(`lm.layers.${l}.${name}`, read(shape));
  }
  const lm: LmConfig = {
    dim, hidden_dim: hiddenDim, n_layers: nLayers, n_heads: nHeads, n_kv_heads: nKvHeads, vocab_size: vocab,
    max_seq_len: seqLen, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: tied,
  };
  return { lm, weights };
}

/** tok*.bin -> pieces (SentencePiece spelling: "▁" for spaces, "<s>" etc. for the specials) and scores. */
export function readLlama2cTokenizer(bytes: Uint8Array, vocabSize: number): { pieces: string[]; scores: number[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const pieces: string[] = [];
  const scores: number[] = [];
  let offset = 4; // int32 max_token_length, unused
  for (let id = 0; id < vocabSize; id++) {
    if (offset + 8 > bytes.length) throw new Error(`llama2.c tokenizer: ends after ${id} of ${vocabSize} tokens`);
    scores.push(view.getFloat32(offset, true));
    const length = view.getInt32(offset + 4, true);
    offset += 8;
    if (length < 0 || offset + length > bytes.length) throw new Error(`llama2.c tokenizer: token ${id} has a bad length ${length}`);
    let raw: string;
    try {
      raw = utf8.decode(bytes.subarray(offset, offset + length));
    } catch {
      throw new Error(`llama2.c tokenizer: token ${id} is not valid UTF-8`);
    }
    offset += length;
    // llama2.c exports BOS/EOS as "\n<s>\n" / "\n</s>\n" and spaces instead of "▁"
    const trimmed = raw.trim();
    pieces.push(['<unk>', '<s>', '</s>'].includes(trimmed) ? trimmed : raw.replaceAll(' ', '▁'));
  }
  if (offset !== bytes.length) throw new Error(`llama2.c tokenizer: ${bytes.length - offset} bytes left after ${vocabSize} tokens`);
  const seen = new Map<string, number>();
  pieces.forEach((p, id) => {
    if (seen.has(p)) throw new Error(`llama2.c tokenizer: tokens ${seen.get(p)} and ${id} are both "${p}"`);
    seen.set(p, id);
  });
  return { pieces, scores };
}

/**
 * BPE merges from a SentencePiece vocabulary, as transformers' LlamaConverter derives them
 * (SentencePieceExtractor / generate_merges): every split of every piece into two pieces of
 * the vocabulary, ordered by the piece's score (high first), then longer left part, then longer right part.
 */
export function sentencePieceMerges(pieces: string[], scores: number[]): [string, string][] {
  const ids = new Map(pieces.map((p, i) => [p, i]));
  const merges: { left: string; right: string; score: number }[] = [];
  pieces.forEach((piece, id) => {
    const chars = Array.from(piece);
    const local: { left: string; right: string; score: number }[] = [];
    for (let i = 1; i < chars.length; i++) {
      const left = chars.slice(0, i).join('');
      const right = chars.slice(i).join('');
      if (ids.has(left) && ids.has(right)) local.push({ left, right, score: scores[id] });
    }
    local.sort((a, b) => ids.get(a.left)! - ids.get(b.left)! || ids.get(a.right)! - ids.get(b.right)!);
    merges.push(...local);
  });
  // Python's sorted(reverse=True) keeps equal keys in their original order; Array.sort is stable too
  merges.sort((a, b) => b.score - a.score || b.left.length - a.left.length || b.right.length - a.right.length);
  return merges.map((m) => [m.left, m.right]);
}

/**
 * tok*.bin -> a Hugging Face tokenizer.json (Llama style: Metaspace pre-tokenizer prepending
 * "▁" to the first section, BPE with byte fallback, decoder Replace/ByteFallback/Fuse/Strip).
 * `extraSpecialTokens` get ids vocabSize, vocabSize+1, ... No BOS is added on encode.
 */
export function llama2cTokenizerJson(bytes: Uint8Array, vocabSize: number, extraSpecialTokens: string[] = []): object {
  const { pieces, scores } = readLlama2cTokenizer(bytes, vocabSize);
  for (const t of extraSpecialTokens) {
    if (pieces.includes(t)) throw new Error(`llama2.c tokenizer: special token "${t}" is already in the vocabulary`);
  }
  const special = (content: string, id: number) =>
    ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      special('<unk>', 0), special('<s>', 1), special('</s>', 2),
      ...extraSpecialTokens.map((t, i) => special(t, vocabSize + i)),
    ],
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    post_processor: null,
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: Object.fromEntries(pieces.map((p, i) => [p, i])),
      merges: sentencePieceMerges(pieces, scores),
    },
  };
}

/**
 * Extends `lm.tok_embeddings.weight` (and `lm.output.weight` when untied) by n rows equal to
 * the mean of the existing rows, for new special tokens: their logit is the mean logit, so
 * argmax over the original vocabulary is unchanged. The caller raises lm.vocab_size by n.
 */
export function addSpecialTokenRows(weights: WeightMap, n: number): WeightMap {
  const out: WeightMap = new Map(weights);
  for (const name of ['lm.tok_embeddings.weight', 'lm.output.weight']) {
    const t = weights.get(name);
    if (!t) {
      if (name === 'lm.tok_embeddings.weight') throw new Error(`addSpecialTokenRows: "${name}" is missing`);
      continue;
    }
    out.set(name, withMeanRows(t, n));
  }
  return out;
}

/** [V, d] -> [V+n, d], the new rows the mean of the old ones. */
function withMeanRows(t: HostTensor, n: number): HostTensor {
  const [rows, d] = t.shape;
  const mean = new Float64Array(d);
  for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) mean[c] += t.data[r * d + c];
  const out = tensor([rows + n, d]);
  out.data.set(t.data);
  for (let r = rows; r < rows + n; r++) for (let c = 0; c < d; c++) out.data[r * d + c] = mean[c] / rows;
  return out;
}
