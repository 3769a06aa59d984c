"""Where is the label information lost: in the encoder or in the resampler? A diagnostic for
a trained weights folder.

The same small probe (32 learned queries attending over a representation, then a linear map
to the vocabulary, max over queries) is trained to name the label tokens of a still screen's
description (the tokens inside its double quotes) from (a) the frozen encoder's features of
all its frames [F*P, Dv] and (b) the resampler's latents [N, Dv], on training-split screens,
and scored on other screens: R-precision (of the k tokens it ranks highest, k = the number of
label tokens, the share that are label tokens). The word pools' prior alone (the k tokens most
frequent in training labels) is the floor.

Usage: python3 tools/train/probe_latents.py --weights DIR --data TRAIN_SPLIT_DIR
       [--train 0:2000] [--eval 6400:6900] [--steps 1500]     (about 5 minutes here)"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import setup  # noqa: E402
from data import load_samples, normalize  # noqa: E402
from probe_reading import label_flags, load_model, media_frames  # noqa: E402


class Probe(nn.Module):
    def __init__(self, dv, vocab, queries=32):
        super().__init__()
        self.q = nn.Parameter(torch.randn(queries, dv) * 0.02)
        self.norm = nn.LayerNorm(dv)
        self.kv = nn.Linear(dv, 2 * dv)
        self.out = nn.Linear(dv, vocab)

    def forward(self, x):                                   # x [B, K, Dv] -> logits [B, vocab]
        k, v = self.kv(self.norm(x)).chunk(2, dim=-1)
        a = (self.q @ k.transpose(1, 2) / k.shape[-1] ** 0.5).softmax(-1) @ v   # [B, Q, Dv]
        return self.out(a).amax(1)


def label_tokens(tok, sample):
    answer = next(t['answer'] for t in sample['tasks'] if t['task'] == 'describe')
    ids = tok.encode(answer)
    return sorted({i for i, f in zip(ids, label_flags(tok, ids)) if f})


def stills_with_labels(samples, tok, span):
    """'A:B' -> (the still screens among samples A..B-1 whose description has labels, their label tokens)."""
    lo, hi = map(int, span.split(':'))
    picked = [(s, label_tokens(tok, s)) for s in samples[lo:hi] if s['kind'] != 'recording']
    return [s for s, b in picked if b], [b for _, b in picked if b]


@torch.no_grad()
def representations(model, split_dir, samples, pre):
    feats, lats = [], []
    for s in samples:
        frames = media_frames(split_dir, s, pre)
        f = model.vision(normalize(frames))                                           # [F, P, Dv]
        lat = model.resampler(f[None], torch.ones(1, len(frames), dtype=torch.bool))[0]  # [N, Dv]
        feats.append(f.reshape(-1, f.shape[-1]).half())
        lats.append(lat.half())
    return torch.stack(feats), torch.stack(lats)


def r_precision(scores, bags):
    hits = [len(set(torch.topk(sc, len(b)).indices.tolist()) & set(b)) / len(b) for sc, b in zip(scores, bags)]
    return float(np.mean(hits))


def fit(x_train, y_train, x_eval, bags_eval, vocab, steps):
    torch.manual_seed(0)
    probe = Probe(x_train.shape[-1], vocab)
    opt = torch.optim.Adam(probe.parameters(), 1e-3)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        b = rng.choice(len(x_train), 32, replace=False)
        loss = F.binary_cross_entropy_with_logits(probe(x_train[b].float()), y_train[b], pos_weight=torch.tensor(10.0))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        scores = torch.cat([probe(x_eval[i:i + 64].float()) for i in range(0, len(x_eval), 64)])
    return r_precision(scores, bags_eval)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights', required=True)
    ap.add_argument('--data', required=True, help='the training split folder (samples.jsonl and its images)')
    ap.add_argument('--train', default='0:2000')
    ap.add_argument('--eval', default='6400:6900')
    ap.add_argument('--steps', type=int, default=1500)
    a = ap.parse_args()
    setup(0)
    model, pre, tok = load_model(a.weights)
    samples = load_samples(a.data)
    train_s, b_tr = stills_with_labels(samples, tok, a.train)
    eval_s, b_ev = stills_with_labels(samples, tok, a.eval)
    f_tr, l_tr = representations(model, a.data, train_s, pre)
    f_ev, l_ev = representations(model, a.data, eval_s, pre)
    y = torch.zeros(len(b_tr), tok.size)
    for j, b in enumerate(b_tr):
        y[j, b] = 1.0
    prior = y.sum(0)
    print(f'{len(train_s)} training screens, {len(eval_s)} scored; label tokens per screen {np.mean([len(b) for b in b_ev]):.1f}\n')
    print('| what the probe sees | R-precision of label tokens |\n|---|---|')
    print(f'| nothing (the most frequent training label tokens) | {r_precision(prior[None].expand(len(b_ev), -1), b_ev):.3f} |')
    print(f'| encoder features, all frames ({f_tr.shape[1]} x {f_tr.shape[2]}) | {fit(f_tr, y, f_ev, b_ev, tok.size, a.steps):.3f} |')
    print(f'| resampler latents ({l_tr.shape[1]} x {l_tr.shape[2]}) | {fit(l_tr, y, l_ev, b_ev, tok.size, a.steps):.3f} |')


if __name__ == '__main__':
    main()
