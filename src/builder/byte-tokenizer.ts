// A trivial byte-level tokenizer (Hugging Face tokenizer.json) for models with random weights:
// ids 0-2 are <pad>, <s>, </s>; ids 3-258 the bytes 0x00-0xFF (BPE with no merges and byte
// fallback, so any text encodes to its UTF-8 bytes); <image> and <|endofchunk|> are the last two
// ids; ids in between are unused placeholders that fill the vocabulary up to vocab_size.

const FIRST_BYTE_ID = 3;
export const BYTE_TOKENIZER_MIN_VOCAB = FIRST_BYTE_ID + 256 + 2;

export function byteLevelTokenizerJson(vocabSize: number): object {
  if (vocabSize < BYTE_TOKENIZER_MIN_VOCAB) {
    throw new Error(`byte-level tokenizer: lm.vocab_size ${vocabSize} is below ${BYTE_TOKENIZER_MIN_VOCAB}; pass --tokenizer FILE`);
  }
  const pieces = ['<pad>', '<s>', '</s>'];
  for (let b = 0; b < 256; b++) pieces.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  while (pieces.length < vocabSize - 2) pieces.push(`<unused${pieces.length}>`);
  pieces.push('<image>', '<|endofchunk|>');
  const special = (id: number) =>
    ({ id, content: pieces[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [0, 1, 2, vocabSize - 2, vocabSize - 1].map(special),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }] },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: true, ignore_merges: false,
      vocab: Object.fromEntries(pieces.map((p, i) => [p, i])),
      merges: [],
    },
  };
}

/** Special token ids of the byte-level tokenizer. */
export function byteLevelTokens(vocabSize: number) {
  return { pad: 0, bos: 1, eos: 2, image: vocabSize - 2, endofchunk: vocabSize - 1 };
}
