"""Does the vision path read? A diagnostic for a trained weights folder.

Greedy metrics such as label recall cannot tell reading from guessing: a frozen LM that has
seen the word pools can guess a label's words without the screen. This scores every answer
of a split with teacher forcing, once with the trained gates and once as the bare LM (no
media: the same as every gate at 0, since each gated block adds tanh(gate) times its
output), and splits the answer tokens into label tokens (inside double quotes) and the
rest. The vision path reads labels only as far as it lowers their loss below the bare LM's.

Usage: python3 tools/train/probe_reading.py --weights DIR --data SPLIT_DIR [--from I] [--count N]
(about 15 s per 100 samples here)"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import safetensors_io  # noqa: E402
import tokenizer as bpe  # noqa: E402
from common import setup  # noqa: E402
from data import letterbox, load_samples, normalize, rgb, still_frames  # noqa: E402
from model import Flamingo  # noqa: E402


def load_model(weights):
    cfg = json.load(open(os.path.join(weights, 'config.json')))
    model = Flamingo(cfg)
    state = {k: torch.from_numpy(v) for k, v in safetensors_io.load(os.path.join(weights, 'model.safetensors')).items()}
    model.load_state_dict(state)
    model.eval()
    pre = json.load(open(os.path.join(weights, 'bundle.json')))['preprocess']
    return model, pre, bpe.Tokenizer.load(os.path.join(weights, 'tokenizer.json'))


def media_frames(split_dir, sample, pre):
    """uint8 [F, H, W, 3]: a recording's frames, or a still's global view and tiles."""
    H, W = pre['image_size']
    if sample['kind'] == 'recording':
        return np.stack([letterbox(rgb(os.path.join(split_dir, f)), H, W)[0] for f in sample['files']])
    return np.stack([f for f, *_ in still_frames(rgb(os.path.join(split_dir, sample['files'][0])), H, W, pre['tiles'])])


def label_flags(tok, ids):
    """For each answer token: True when it lies inside a double-quoted span (and is no quote)."""
    inside, flags = False, []
    for i in ids:
        text = tok.decode([i])
        flags.append(inside and '"' not in text)
        if text.count('"') % 2:
            inside = not inside
    return flags


@torch.no_grad()
def score(model, tok, split_dir, samples, pre, with_media):
    """Per answer token of every task: (is label, nll, argmax right); [n, 3] float array.
    Without media the gated blocks are skipped: the bare LM."""
    bos, image, eoc = tok.id('<s>'), tok.id('<image>'), tok.id('<|endofchunk|>')
    rows = []
    for s in samples:
        lat = None
        if with_media:
            frames = media_frames(split_dir, s, pre)
            feats = model.vision(normalize(frames))[None]                                        # [1, F, P, Dv]
            lat = model.resampler(feats, torch.ones(1, len(frames), dtype=torch.bool))[:, None]  # [1, 1, N, Dv]
        for t in s['tasks']:
            prompt, answer = tok.encode(t['prompt'] + '\n'), tok.encode(t['answer']) + [eoc]
            ids = torch.tensor([[bos, image] + prompt + answer])
            media_index = torch.ones_like(ids)
            media_index[0, 0] = 0                                                                # <s> precedes the image
            logits = model.decode(ids, lat, media_index)[0, -len(answer) - 1:-1]                  # predicts each answer token
            target = torch.tensor(answer)
            nll = F.cross_entropy(logits, target, reduction='none')
            right = logits.argmax(-1) == target
            rows += [(f, n, r) for f, n, r in zip(label_flags(tok, answer), nll.tolist(), right.tolist())]
    return np.array(rows, dtype=np.float64)


def summary(rows, label):
    sel = rows[rows[:, 0] == label] if len(rows) else rows
    if len(sel) == 0:
        raise SystemExit(f'probe_reading: no {"label" if label else "other"} tokens in these samples')
    return {'tokens': len(sel), 'loss': float(sel[:, 1].mean()), 'accuracy': float(sel[:, 2].mean())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights', required=True)
    ap.add_argument('--data', required=True, help='a split folder (samples.jsonl and its images)')
    ap.add_argument('--from', dest='start', type=int, default=0)
    ap.add_argument('--count', type=int, default=100)
    ap.add_argument('--out', help='write the table as JSON here too')
    a = ap.parse_args()
    setup(0)
    model, pre, tok = load_model(a.weights)
    samples = load_samples(a.data)[a.start:a.start + a.count]
    trained = score(model, tok, a.data, samples, pre, with_media=True)
    bare = score(model, tok, a.data, samples, pre, with_media=False)
    result = {name: {'label tokens': summary(rows, 1), 'other answer tokens': summary(rows, 0)}
              for name, rows in (('trained gates', trained), ('all gates 0 (bare LM)', bare))}
    print(f'{a.data}: samples {a.start}-{a.start + len(samples) - 1}, teacher-forced answer tokens (loss in nats per token)\n')
    print('| tokens | trained: loss | trained: accuracy | bare LM: loss | bare LM: accuracy | vision gain (nats) |\n|---|---|---|---|---|---|')
    for kind in ('label tokens', 'other answer tokens'):
        t, b = result['trained gates'][kind], result['all gates 0 (bare LM)'][kind]
        print(f"| {kind} ({t['tokens']}) | {t['loss']:.3f} | {t['accuracy']:.3f} | {b['loss']:.3f} | {b['accuracy']:.3f} | {b['loss'] - t['loss']:.3f} |")
    if a.out:
        with open(a.out, 'w') as f:
            json.dump({'data': a.data, 'from': a.start, 'count': len(samples), **result}, f, indent=2)


if __name__ == '__main__':
    main()
