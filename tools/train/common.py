"""Shared training plumbing: threads, seeds, time budgets, checkpoints, logging."""
import json
import os
import random
import sys
import time

import numpy as np
import torch


def setup(seed):
    torch.set_num_threads(2)
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)


def log(stage, msg):
    print(f'[{time.strftime("%H:%M:%S")}] {stage}: {msg}', flush=True)


def bf16():
    return torch.autocast('cpu', dtype=torch.bfloat16)


class Budget:
    """A stage's wall-clock budget and a step cap (whichever ends first)."""

    def __init__(self, seconds, max_steps):
        self.t0, self.seconds, self.max_steps = time.time(), seconds, max_steps

    def done(self, step):
        return step >= self.max_steps or time.time() - self.t0 >= self.seconds

    def frac(self, step):
        return min(1.0, max(step / self.max_steps, (time.time() - self.t0) / self.seconds))

    def elapsed(self):
        return time.time() - self.t0


def lr_at(frac, peak, warmup=0.05):
    """Linear warmup then cosine decay to 10%, on the fraction of the budget spent."""
    if frac < warmup:
        return peak * frac / warmup
    p = (frac - warmup) / (1 - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * min(1.0, p))))


def save_ckpt(path, state):
    tmp = path + '.tmp'
    torch.save(state, tmp)
    os.replace(tmp, path)


def write_json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f, indent=2, allow_nan=False)  # a NaN is a failed run, not a number to report


def check_finite(stage, step, **losses):
    """Stops the run at the first non-finite loss, before it reaches the weights."""
    bad = {k: v.item() for k, v in losses.items() if not torch.isfinite(v).all()}
    if bad:
        fail(f'{stage}: step {step}: non-finite loss {bad} (all: { {k: v.item() for k, v in losses.items()} })')


def fail(msg):
    print(f'train: {msg}', file=sys.stderr)
    sys.exit(2)
