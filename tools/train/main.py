"""`npm run train` (Python part): tokenizer, frame cache, the three Flamingo stages, export.
Resumable: each stage writes a checkpoint into --work and is skipped when it exists.
By default every stage runs the shipped model's number of steps (RECIPE), so a rerun gives the
same model on a faster or slower machine; --budget-minutes M gives each stage a share of M
minutes instead (for experiments: the steps then depend on the machine's speed that day).
Usage: python3 tools/train/main.py --data DIR --work DIR --out WEIGHTS_DIR --fixture-out DIR --gates0-out DIR
       [--budget-minutes M] [--smoke]"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tokenizer as bpe  # noqa: E402
from common import fail, log, save_ckpt, setup, write_json  # noqa: E402
from data import FrameCache, build_frame_cache, load_samples, rgb, still_frames  # noqa: E402
from export import export_weights, write_fixture  # noqa: E402
from model import Flamingo  # noqa: E402
from stage_flamingo import Examples, cache_features, train_flamingo  # noqa: E402
from stage_lm import train_lm  # noqa: E402
from stage_vision import train_vision  # noqa: E402

LM_VOCAB = 766  # + <image>, <|endofchunk|> = 768

# The shipped model's recipe in steps: its run (2026-12-01, time-budgeted at 85 minutes) got
# these, and stage 3 saw the first 3,825 of its 6,375 training samples.
RECIPE = {'steps': {'vision': 4980, 'lm': 2723, 'flamingo': 6801}, 'stage3_samples': 3825}
# Stage 3's settings: lr 1e-3 and the two aids that keep the gates from staying shut
# (stage_flamingo.py): the first 30% on the answers' first tokens only, and the resampler's
# auxiliary bag-of-tokens head. probe_memorise.py reuses them.
STAGE3 = {'batch': 8, 'lr': 1e-3, 'max_len': 256, 'heads_until': 0.3, 'aux_weight': 1.0}

# Frames of 256x384 (16:10-ish, like most screens); a screenshot becomes a global view plus
# 2x2 tiles, i.e. it is seen at 512x768: a 1280x800 window is scaled by 0.6, so 14 px text
# stays about 8 px tall, which a stride-16 encoder can still resolve (the global view alone
# would leave 4 px). See models/flamingo-screens/MODEL_CARD.md.
PREPROCESS = {'image_size': [256, 384], 'resize': 'letterbox', 'pad_rgb': [255, 255, 255], 'mean': [0.5, 0.5, 0.5],
              'std': [0.5, 0.5, 0.5], 'tiles': {'rows': 2, 'cols': 2, 'global': True}, 'max_frames': 8, 'video_fps': 1}


def make_config(vocab):
    return {
        'vision': {'type': 'nfnet', 'image_size': PREPROCESS['image_size'], 'nfnet': {
            # A 4x4 patchifying stem, then two NF stages: stride 16, 16x24 cells of 16x16 px per frame.
            'stem': [{'channels': 32, 'kernel': 4, 'stride': 4}],
            'stages': [{'channels': 64, 'blocks': 1, 'stride': 2}, {'channels': 128, 'blocks': 1, 'stride': 2}],
            'alpha': 0.2, 'pos_embed': True}},
        'resampler': {'depth': 2, 'heads': 4, 'head_dim': 32, 'num_latents': 64, 'ff_mult': 2, 'max_frames': 8, 'ln_eps': 1e-5},
        'lm': {'dim': 192, 'hidden_dim': 512, 'n_layers': 4, 'n_heads': 6, 'n_kv_heads': 2, 'vocab_size': vocab,
               'max_seq_len': 512, 'rope_theta': 10000, 'norm_eps': 1e-5, 'tie_embeddings': True},
        'xattn': {'every': 1, 'heads': 4, 'head_dim': 32, 'ff_mult': 2, 'ln_eps': 1e-5},
    }


def bundle_meta(tok):
    return {
        'name': 'flamingo-screens',
        'description': 'Small Flamingo trained from scratch on synthetic Chromium-rendered screens, terminals, editors, diagrams and recordings.',
        'tokens': {'bos': tok.id('<s>'), 'eos': tok.id('</s>'), 'pad': tok.id('<pad>'), 'image': tok.id('<image>'), 'endofchunk': tok.id('<|endofchunk|>')},
        'preprocess': PREPROCESS,
        'generation': {'max_tokens': 160, 'temperature': 0, 'top_k': 0, 'top_p': 1, 'repetition_penalty': 1, 'prompt': '<image>{prompt}\n',
                       # the task prompts the model was trained with (model-spec section 9)
                       'prompts': {'describe': 'Describe the screen.', 'error': 'Explain the error.', 'events': 'What happened?',
                                   'question': 'Question: {question}'}},
    }


def stage(work, name, model, run):
    """Runs a stage unless its checkpoint exists; returns its report."""
    path = os.path.join(work, f'{name}.pt')
    if os.path.exists(path):
        ck = torch.load(path)
        model.load_state_dict(ck['model'])
        log(name, f'resumed from {path}')
        return ck['report']
    t0 = time.time()
    report = run()
    report['wall_seconds'] = round(time.time() - t0)
    save_ckpt(path, {'model': model.state_dict(), 'report': report})
    log(name, f'done: {json.dumps(report)}')
    return report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--fixture-out', required=True, help='parity fixture folder')
    ap.add_argument('--gates0-out', required=True, help='weights folder with every gate at 0 (the bare-LM baseline)')
    ap.add_argument('--budget-minutes', type=float, help='time-budgeted stages instead of the recipe\'s steps')
    ap.add_argument('--smoke', action='store_true')
    a = ap.parse_args()
    setup(0)
    train_dir = os.path.join(a.data, 'train')
    if not os.path.exists(os.path.join(train_dir, 'samples.jsonl')):
        fail(f'no training data at {train_dir}/samples.jsonl (run the generator first)')
    os.makedirs(a.work, exist_ok=True)
    t_start = time.time()
    samples = load_samples(train_dir)
    log('data', f'{len(samples)} training samples')

    tok_path = os.path.join(a.work, 'tokenizer.json')
    if os.path.exists(tok_path):
        tok = bpe.Tokenizer.load(tok_path)
    else:
        texts = [t[k] for s in samples for t in s['tasks'] for k in ('prompt', 'answer')]
        tok = bpe.train(texts, LM_VOCAB)
        tok.save(tok_path)
    log('tokenizer', f'{tok.size} tokens')
    cfg = make_config(tok.size)
    model = Flamingo(cfg)
    grid = model.vision.grid
    build_frame_cache(train_dir, os.path.join(a.work, 'frames-train'), PREPROCESS, grid, tok)
    cache = FrameCache(os.path.join(a.work, 'frames-train'))
    log('data', f'{len(cache.frames)} frames cached, grid {grid}')

    smoke = a.smoke
    if smoke:
        seconds, steps, n = {k: float('inf') for k in RECIPE['steps']}, {k: 3 for k in RECIPE['steps']}, len(samples)
    elif a.budget_minutes is None:
        seconds, steps, n = {k: float('inf') for k in RECIPE['steps']}, RECIPE['steps'], RECIPE['stage3_samples']
    else:
        m = a.budget_minutes * 60
        seconds, steps = {'vision': 0.25 * m, 'lm': 0.15 * m, 'flamingo': 0.45 * m}, {k: 10**9 for k in RECIPE['steps']}
        n = round(45 * a.budget_minutes)
    # Stage 3 sees the first n samples: the frozen encoder's features of all of them would take
    # longer to compute here than stage 3 itself gets.
    n = min(n, len(samples))
    reports = {}
    reports['vision'] = stage(a.work, 'stage1-vision', model, lambda: train_vision(
        model, cache, samples, tok, seconds=seconds['vision'], max_steps=steps['vision'], batch=4 if smoke else 12, lr=6e-4))
    for p in model.vision.parameters():
        p.requires_grad_(False)
    reports['lm'] = stage(a.work, 'stage2-lm', model, lambda: train_lm(
        model, samples, tok, seconds=seconds['lm'], max_steps=steps['lm'], batch=4 if smoke else 32, seq=128, lr=1e-3))
    for p in model.lm.parameters():
        p.requires_grad_(False)
    end = int(cache.start[n - 1] + cache.count[n - 1])
    feats = cache_features(model.vision, cache.frames[:end], os.path.join(a.work, 'features-train.npy'))
    ex = Examples(samples[:n], tok)
    reports['flamingo'] = stage(a.work, 'stage3-flamingo', model, lambda: train_flamingo(
        model, ex, feats, cache, seconds=seconds['flamingo'], max_steps=steps['flamingo'], **(dict(STAGE3, batch=4) if smoke else STAGE3)))

    n_params = export_weights(model, cfg, bundle_meta(tok), tok, a.out)
    test_dir = os.path.join(a.data, 'test')
    fixture_src = load_samples(test_dir)[:2] if os.path.exists(os.path.join(test_dir, 'samples.jsonl')) else samples[:2]
    fixture_dir = test_dir if fixture_src is not samples[:2] else train_dir
    H, W = PREPROCESS['image_size']
    frames = [np.stack([f for f, *_ in still_frames(rgb(os.path.join(fixture_dir, s['files'][-1])), H, W, PREPROCESS['tiles'])][:n])
              for s, n in zip(fixture_src, (3, 1))]
    shape = write_fixture(model, tok, frames, ['Describe the screen.\nA', 'Explain the error.\n'], a.fixture_out)
    held_out = [t[k] for s in (load_samples(test_dir) if fixture_dir == test_dir else samples) for t in s['tasks'] for k in ('prompt', 'answer')]
    checks = sorted(set(held_out))[:300] + ['<image>Describe the screen.\n', 'A<|endofchunk|><image>x', '  two  spaces\n\nand tabs\t!']
    write_json(os.path.join(a.fixture_out, 'tokenizer-check.json'), {'strings': checks, 'ids': [tok.encode(c) for c in checks]})
    export_weights(model, cfg, bundle_meta(tok), tok, a.gates0_out, zero_gates=True)
    gates = {i: {'attn_gate': float(torch.tanh(x.attn_gate)), 'ff_gate': float(torch.tanh(x.ff_gate))} for i, x in model.xattn.items()}
    write_json(os.path.join(a.out, 'training.json'), {
        'budget_minutes': a.budget_minutes, 'recipe_steps': None if smoke or a.budget_minutes else RECIPE['steps'], 'smoke': smoke, 'samples': len(samples), 'frames': int(len(cache.frames)),
        'stage3_samples': n, 'stage3_frames': end,
        'parameters': int(n_params), 'stages': reports, 'tanh_gates': gates, 'fixture_logits_shape': list(shape),
        'python_wall_seconds': round(time.time() - t_start)})
    log('export', f'{n_params} parameters -> {a.out}')


if __name__ == '__main__':
    main()
