"""A small byte-level BPE vocabulary learned from the generator's texts, exported as a Hugging
Face tokenizer.json (ByteLevel pre-tokenizer and decoder, BPE model) that the npm package
@huggingface/tokenizers loads and encodes identically (test/train/tokenizer.test.ts)."""
import collections
import json
import re

SPECIALS = ['<pad>', '<s>', '</s>']          # ids 0, 1, 2
NEW_TOKENS = ['<image>', '<|endofchunk|>']  # appended after the LM vocabulary (Flamingo's new tokens)

# GPT-2's pre-tokenizer regex with \p{L} -> [A-Za-z] and \p{N} -> [0-9]: identical wherever
# no non-ASCII letter or digit occurs (the generator writes none; encode() refuses them).
_PRETOKEN = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def _bytes_to_unicode():
    """GPT-2's reversible byte -> printable character map (what ByteLevel uses)."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_CHARS = _bytes_to_unicode()


def _words(text):
    return [''.join(BYTE_CHARS[b] for b in w.encode()) for w in _PRETOKEN.findall(text)]


class Tokenizer:
    def __init__(self, vocab, merges):
        self.vocab = vocab                        # token string -> id
        self.merges = merges                      # list of (a, b)
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.inv = {i: t for t, i in vocab.items()}
        self.cache = {}
        specials = SPECIALS + NEW_TOKENS
        self.special_re = re.compile('(' + '|'.join(re.escape(s) for s in specials) + ')')

    @property
    def size(self):
        return len(self.vocab)

    def id(self, token):
        return self.vocab[token]

    def _bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        parts = list(word)
        while len(parts) > 1:
            pairs = [(self.ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
            rank, i = min(pairs)
            if rank == 1 << 30:
                break
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        ids = [self.vocab[p] for p in parts]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        bad = [c for c in text if not c.isascii() and (c.isalpha() or c.isnumeric())]
        if bad:
            raise ValueError(f'tokenizer: non-ASCII letters and digits are not supported ({bad[0]!r} in {text!r})')
        ids = []
        for piece in self.special_re.split(text):
            if piece in self.vocab and piece in SPECIALS + NEW_TOKENS:
                ids.append(self.vocab[piece])
            elif piece:
                for w in _words(piece):
                    ids.extend(self._bpe(w))
        return ids

    def decode(self, ids):
        byte_of = {c: b for b, c in BYTE_CHARS.items()}
        out, raw = [], bytearray()
        for i in ids:
            t = self.inv[int(i)]
            if t in SPECIALS or t in NEW_TOKENS:
                continue
            raw.extend(byte_of[c] for c in t)
        out.append(raw.decode('utf-8', errors='replace'))
        return ''.join(out)

    def to_hf_json(self):
        added = [{'id': self.vocab[t], 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False,
                  'normalized': False, 'special': True} for t in SPECIALS + NEW_TOKENS]
        return {
            'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': added,
            'normalizer': None,
            'pre_tokenizer': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True},
            'post_processor': None,
            'decoder': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True},
            'model': {'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': None,
                      'end_of_word_suffix': None, 'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False,
                      'vocab': self.vocab, 'merges': [f'{a} {b}' for a, b in self.merges]},
        }

    def save(self, path):
        with open(path, 'w') as f:
            json.dump(self.to_hf_json(), f, ensure_ascii=False)

    @staticmethod
    def load(path):
        j = json.load(open(path))
        merges = [tuple(m.split(' ')) if isinstance(m, str) else tuple(m) for m in j['model']['merges']]
        return Tokenizer(dict(j['model']['vocab']), merges)


def train(texts, lm_vocab_size):
    """Learns merges until the LM vocabulary (specials + 256 bytes + merges) has lm_vocab_size
    entries, then appends <image> and <|endofchunk|>: the full vocabulary is lm_vocab_size + 2."""
    counts = collections.Counter(w for t in texts for w in _words(t))
    words = {w: list(w) for w in counts}
    vocab = {t: i for i, t in enumerate(SPECIALS)}
    for c in sorted(BYTE_CHARS.values()):
        vocab[c] = len(vocab)
    merges = []
    while len(vocab) < lm_vocab_size:
        pairs = collections.Counter()
        for w, parts in words.items():
            for a, b in zip(parts, parts[1:]):
                pairs[(a, b)] += counts[w]
        if not pairs:
            break
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        merges.append((a, b))
        vocab[a + b] = len(vocab)
        for w, parts in words.items():
            i = 0
            while i < len(parts) - 1:
                if parts[i] == a and parts[i + 1] == b:
                    parts[i:i + 2] = [a + b]
                i += 1
    for t in NEW_TOKENS:
        vocab[t] = len(vocab)
    return Tokenizer(vocab, merges)
