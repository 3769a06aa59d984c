"""What do the frozen encoder's features carry? A diagnostic for a finished run, on the
features stage 3 cached (work/features-train.npy, fp16 [T, P, Dv]) and the frame cache.

1. A per-cell word head like stage 1's (linear Dv -> vocab, BCE, positives x20), trained on 80%
   of the cached still screens: per-cell token recall and precision on the other 20%, and per
   frame for the bag of tokens it reads.
2. The error class of held-out error screens from that bag (max over cells of the head's
   sigmoid; a linear classifier trained on the other error screens).
3. Reading against text size: the share of held-out words (in the 2x2 tile views) of which at
   least half the tokens fire in the word's own cells, by the word's height in the tile view.

Usage: python3 tools/train/probe_features.py --run .cache/train   (about 6 minutes here)"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tokenizer as bpe  # noqa: E402
from common import setup  # noqa: E402
from data import FrameCache, _cells, load_samples, word_tokens  # noqa: E402
from main import PREPROCESS, make_config  # noqa: E402
from model import Flamingo  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--run', required=True, help='a training output folder (npm run train --out)')
    ap.add_argument('--steps', type=int, default=800)
    a = ap.parse_args()
    setup(0)
    tok = bpe.Tokenizer.load(os.path.join(a.run, 'work', 'tokenizer.json'))
    samples = load_samples(os.path.join(a.run, 'data', 'train'))
    cache = FrameCache(os.path.join(a.run, 'work', 'frames-train'))
    feats = np.load(os.path.join(a.run, 'work', 'features-train.npy'), mmap_mode='r')  # [T, P, Dv]
    T, P, dv = feats.shape
    vocab = tok.size
    H, W = PREPROCESS['image_size']
    gh, gw = Flamingo(make_config(vocab)).vision.grid
    assert gh * gw == P, f'features have {P} positions, the encoder gives {gh}x{gw}'
    cached = [i for i in range(len(samples)) if cache.start[i] + cache.count[i] <= T]
    stills = [i for i in cached if samples[i]['kind'] != 'recording']
    rng = np.random.default_rng(0)
    order = rng.permutation(stills)
    train_s, test_s = order[:int(0.8 * len(order))], order[int(0.8 * len(order)):]
    frames_of = lambda ss: np.concatenate([np.arange(cache.start[i], cache.start[i] + cache.count[i]) for i in ss])  # noqa: E731
    x_of = lambda fr: torch.from_numpy(feats[fr].astype(np.float32))  # noqa: E731

    def targets(fr):
        y = torch.zeros(len(fr), P, vocab)
        for j, t in enumerate(fr):
            cells, ids = cache.frame_words(t)
            y[j, cells, ids] = 1.0
        return y

    # 1. The word head.
    head = nn.Linear(dv, vocab)
    opt = torch.optim.Adam(head.parameters(), 2e-3)
    train_f = frames_of(train_s)
    for _ in range(a.steps):
        fr = np.sort(rng.choice(train_f, 64))
        loss = F.binary_cross_entropy_with_logits(head(x_of(fr)), targets(fr), pos_weight=torch.tensor(20.0))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        fr = np.sort(rng.choice(frames_of(test_s), 400, replace=False))
        y, fired = targets(fr) > 0, head(x_of(fr)) > 0
        hit = (y & fired).sum().item()
        print(f'cells: word-token recall {hit / y.sum().item():.3f}, precision {hit / max(1, fired.sum().item()):.3f}')
        bag_y, bag_p = y.any(1), fired.any(1)
        hit = (bag_y & bag_p).sum().item()
        print(f'frames, bag of tokens: recall {hit / bag_y.sum().item():.3f}, precision {hit / max(1, bag_p.sum().item()):.3f}')

        # 2. Error class from the bag of read tokens.
        errors = [i for i in stills if samples[i].get('error')]
        classes = sorted({samples[i]['error']['class'] for i in errors})
        bags = torch.stack([torch.sigmoid(head(x_of(np.arange(cache.start[i], cache.start[i] + cache.count[i])))).amax((0, 1)) for i in errors])
        labels = torch.tensor([classes.index(samples[i]['error']['class']) for i in errors])
        in_test = set(test_s.tolist())
        te = torch.tensor([k for k, i in enumerate(errors) if i in in_test])
        tr = torch.tensor([k for k, i in enumerate(errors) if i not in in_test])
    clf = nn.Linear(vocab, len(classes))
    opt = torch.optim.AdamW(clf.parameters(), 1e-2, weight_decay=0.01)
    for _ in range(1000):
        loss = F.cross_entropy(clf(bags[tr]), labels[tr])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = clf(bags).argmax(-1)
        print(f'error class from the bag: held-out {(pred[te] == labels[te]).float().mean():.3f} (n={len(te)}), '
              f'training screens {(pred[tr] == labels[tr]).float().mean():.3f}, chance {1 / len(classes):.3f}')

        # 3. Reading against text size, in the tiles (frames 1-4 of a still: the 512x768 view cut 2x2).
        rows, cols = PREPROCESS['tiles']['rows'], PREPROCESS['tiles']['cols']
        bins = [0, 6, 8, 10, 12, 16, 10**6]
        read, seen = np.zeros(len(bins) - 1), np.zeros(len(bins) - 1)
        for i in test_s[:400]:
            s = samples[i]
            scale = min(cols * W / s['size'][0], rows * H / s['size'][1])
            logits = head(x_of(np.arange(cache.start[i] + 1, cache.start[i] + 1 + rows * cols)))   # [tiles, P, vocab]
            for word, x0, y0, x1, y1 in s['words']:
                ids = word_tokens(tok, word)
                r, c = int((y0 + y1) / 2 * scale // H), int((x0 + x1) / 2 * scale // W)
                if not ids or r >= rows or c >= cols:
                    continue
                # the cells stage 1's targets give the word (data.build_frame_cache)
                cx0, cy0, cx1, cy1 = _cells(x0, y0, x1, y1, scale, c * W, r * H, W / gw, H / gh, gw, gh)
                cells = [yy * gw + xx for yy in range(cy0, cy1) for xx in range(cx0, cx1)]
                if not cells:
                    continue
                b = np.searchsorted(bins, (y1 - y0) * scale, side='right') - 1
                read[b] += float((logits[r * cols + c][cells][:, ids] > 0).any(0).float().mean() >= 0.5)
                seen[b] += 1
    for b in range(len(bins) - 1):
        if seen[b]:
            print(f'words {bins[b]}-{bins[b + 1] if bins[b + 1] < 10**6 else "more"} px tall in the tile view: {int(seen[b])}, read {read[b] / seen[b]:.2f}')
    print(json.dumps({'run': a.run, 'frames': int(T), 'stills': len(stills)}))


if __name__ == '__main__':
    main()
