"""Gradient check of the trainer's model (model.py), printed as one JSON line.

torch 1.13's CPU GELU backward is wrong when the gradient and the input have different memory
layouts; model.gelu guards against it. This compares the trainer's gradients with those of
the same model whose GELU is written out as 0.5 x (1 + erf(x / sqrt 2)), whose backward torch
derives from plain elementwise ops. It also runs the unguarded F.gelu the same way, to show
that the check can see the bug on this torch (a diagnostic, not a pass condition).
Stage 1's word loss (stage_vision.sparse_target_bce, targets as the indices of their ones) is
compared with torch's dense BCE the same way: value and gradient."""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'tools', 'train'))
import model as M  # noqa: E402
from main import make_config  # noqa: E402
from stage_vision import sparse_target_bce  # noqa: E402


def erf_gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def unguarded_gelu(x):
    return F.gelu(x.contiguous())


def grads(net, pixels, ids, gelu):
    """Vision features [F, P, Dv] -> resampler -> LM with gated cross-attention -> loss."""
    M.gelu = gelu
    net.zero_grad(set_to_none=True)
    feats = net.vision(pixels)                                    # [F, P, Dv], read through a transpose
    latents = net.resampler(feats[None], torch.ones(1, feats.shape[0], dtype=torch.bool))  # [1, N, Dv]
    media_index = torch.ones_like(ids)
    logits = net.decode(ids, latents[:, None], media_index)       # [1, S, vocab]
    loss = F.cross_entropy(logits[0, :-1], ids[0, 1:]) + feats.square().mean()
    loss.backward()
    return {n: p.grad.clone() for n, p in net.named_parameters() if p.grad is not None}


def max_rel_diff(a, b):
    return max(float((a[n] - b[n]).abs().max() / (b[n].abs().max() + 1e-12)) for n in b)


def sparse_bce_diff():
    """Relative difference of sparse_target_bce from the dense BCE, value and gradient."""
    logits = (torch.randn(6, 40, 96) * 3).requires_grad_(True)
    targets = (torch.rand(6, 40, 96) < 0.02).float()
    dense = F.binary_cross_entropy_with_logits(logits, targets, pos_weight=torch.tensor(20.0))
    g_dense, = torch.autograd.grad(dense, logits)
    sparse = sparse_target_bce(logits, torch.nonzero(targets.reshape(-1)).squeeze(1), pos_weight=20.0)
    g_sparse, = torch.autograd.grad(sparse, logits)
    return max(float((sparse - dense).abs() / dense.abs()), float((g_sparse - g_dense).abs().max() / g_dense.abs().max()))


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    net = M.Flamingo(make_config(64))
    for x in net.xattn.values():                                  # open the gates so every part has a gradient
        torch.nn.init.constant_(x.attn_gate, 0.5)
        torch.nn.init.constant_(x.ff_gate, 0.5)
    H, W = net.cfg['vision']['image_size']
    pixels = torch.randn(3, 3, H, W)
    ids = torch.randint(0, 64, (1, 24))
    guarded = M.gelu
    reference = grads(net, pixels, ids, erf_gelu)
    first, second = grads(net, pixels, ids, guarded), grads(net, pixels, ids, guarded)
    raw = grads(net, pixels, ids, unguarded_gelu)
    M.gelu = guarded
    print(json.dumps({
        'parameters': len(reference),
        'max_rel_diff': max_rel_diff(first, reference),
        'repeat_identical': all(torch.equal(first[n], second[n]) for n in first),
        'unguarded_max_rel_diff': max_rel_diff(raw, reference),
        'sparse_bce_rel_diff': sparse_bce_diff(),
    }))


if __name__ == '__main__':
    main()
