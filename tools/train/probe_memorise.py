"""Can stage 3 carry labels through the vision path at all? A diagnostic for a finished run.

probe_reading.py shows the shipped model's labels come from the LM, not the screen. That
leaves two suspects: the encoder's features do not hold the labels, or stage 3 (resampler,
gated cross-attention) cannot bring what they hold to the answer. This retrains stage 3 from
scratch (fresh resampler and gated blocks, the run's frozen encoder and LM, the trainer's own
recipe) on the first --count training samples only, long enough to memorise them, then scores
the answers' label tokens with teacher forcing as probe_reading.py does: on those samples and on
as many the probe never trained on, with the images and as the bare LM. If the trained samples'
labels come out right only with their images, the path works, and what fails on new screens is
the features' reading.

Usage: python3 tools/train/probe_memorise.py --run DIR [--count 32] [--steps 600]
(DIR: an `npm run train` --out folder; about 5 minutes here)"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import setup  # noqa: E402
from data import FrameCache, load_samples  # noqa: E402
from main import STAGE3  # noqa: E402
from model import Flamingo  # noqa: E402
from probe_reading import load_model, score, summary  # noqa: E402
from stage_flamingo import Examples, train_flamingo  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--run', required=True, help='an `npm run train` --out folder (weights, data, work)')
    ap.add_argument('--count', type=int, default=32)
    ap.add_argument('--steps', type=int, default=600)
    a = ap.parse_args()
    setup(0)
    trained, pre, tok = load_model(os.path.join(a.run, 'weights'))
    # The run's frozen encoder and LM; a fresh resampler, fresh gated blocks and fresh rows for
    # <image> and <|endofchunk|>, as at the start of stage 3.
    model = Flamingo(trained.cfg)
    fresh_rows = model.lm.tok_embeddings.weight[-2:].clone()
    model.load_state_dict({k: v for k, v in trained.state_dict().items() if k.startswith(('vision.', 'lm.'))}, strict=False)
    with torch.no_grad():
        model.lm.tok_embeddings.weight[-2:] = fresh_rows
    for p in model.parameters():
        p.requires_grad_(False)

    split = os.path.join(a.run, 'data', 'train')
    samples = load_samples(split)
    cache = FrameCache(os.path.join(a.run, 'work', 'frames-train'))
    feats = np.load(os.path.join(a.run, 'work', 'features-train.npy'), mmap_mode='r')  # stage 3's cached features
    report = train_flamingo(model, Examples(samples[:a.count], tok), feats, cache, seconds=float('inf'), max_steps=a.steps, **STAGE3)
    model.eval()
    print(f'stage 3 on samples 0-{a.count - 1} only: {json.dumps(report)}\n')
    print('| samples | label tokens: with images | bare LM | other tokens: with images | bare LM |\n|---|---|---|---|---|')
    for name, part in ((f'memorised (0-{a.count - 1})', samples[:a.count]),
                       (f'never trained on in this probe ({a.count}-{2 * a.count - 1})', samples[a.count:2 * a.count])):
        seen = score(model, tok, split, part, pre, with_media=True)
        bare = score(model, tok, split, part, pre, with_media=False)
        loss = {k: [summary(rows, k)['loss'] for rows in (seen, bare)] for k in (1, 0)}
        print(f'| {name} | {loss[1][0]:.3f} | {loss[1][1]:.3f} | {loss[0][0]:.3f} | {loss[0][1]:.3f} |')


if __name__ == '__main__':
    main()
