// A small Llama-style tokenizer.json for tests: BPE with byte fallback (characters outside
// the vocabulary become <0xNN> tokens), "▁" for spaces, and the Flamingo special tokens.

export const TINY_TOKENS = { pad: 0, bos: 1, eos: 2, image: 259 + 0, endofchunk: 259 + 1 };

const PIECES = ['▁', 'a', 'b', 'c', 'h', 'e', 'l', 'o', '▁h', 'el', 'lo', '▁hel', '▁hello', 'ab', '▁ab'];

export function tinyTokenizerJson(): object {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  // 259, 260: the special tokens below; ordinary pieces follow them.
  PIECES.forEach((p, i) => { vocab[p] = 261 + i; });
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>'), special(259, '<image>'), special(260, '<|endofchunk|>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
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
      type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, ignore_merges: false,
      vocab,
      merges: [['▁', 'h'], ['e', 'l'], ['l', 'o'], ['▁h', 'el'], ['▁hel', 'lo'], ['a', 'b'], ['▁', 'ab']].map((m) => m.join(' ')),
    },
  };
}
