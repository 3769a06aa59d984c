"""Stage 1: pretrain the NFNet encoder, then freeze it. Two signals, as the recipe asks:
dense per-cell targets the generator gives for free (component type under the cell; the
tokens of the words written in it, multi-label) and a CLIP-style contrastive loss between the
global view and a small text encoder over the screen's description. A curriculum starts on
screens with large text (scale factor 2, small viewports) and then opens to all."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from common import Budget, bf16, check_finite, log, lr_at
from data import COMP_TYPES, normalize


class TextEncoder(nn.Module):
    """Small text tower: token embeddings, mean-pooled, then an MLP."""

    def __init__(self, vocab, d):
        super().__init__()
        self.emb = nn.EmbeddingBag(vocab, d, mode='mean')
        self.mlp = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, d))

    def forward(self, ids, offsets):
        return self.mlp(self.emb(ids, offsets))


class VisionHeads(nn.Module):
    def __init__(self, dv, vocab, d_clip=128):
        super().__init__()
        self.comp = nn.Linear(dv, len(COMP_TYPES) + 1)
        self.words = nn.Linear(dv, vocab)
        self.img_proj = nn.Linear(dv, d_clip)
        self.text = TextEncoder(vocab, d_clip)
        self.logit_scale = nn.Parameter(torch.tensor(np.log(1 / 0.07), dtype=torch.float32))


def word_targets(cache, frames, P, V):
    """The positives of the per-cell word targets of frames, as unique flat indices into
    [len(frames), P, V] (a cell covered by a word has every token of that word)."""
    flat = []
    for j, t in enumerate(frames):
        cells, ids = cache.frame_words(t)
        flat.append((j * P + cells.astype(np.int64)) * V + ids)
    return torch.from_numpy(np.unique(np.concatenate(flat)))


def sparse_target_bce(logits, positives, pos_weight):
    """F.binary_cross_entropy_with_logits(logits, targets, pos_weight=pos_weight) (mean) for
    0/1 targets given as the flat indices of their ones. Same value and gradient
    (test/train/gradient_check.py) without building the dense [2B, P, V] = 7M-entry target and
    the dozen elementwise passes over it that the dense form makes: stage 1's step went from
    0.58 to 0.39 s here. BCE = pw*y*softplus(-x) + (1-y)*softplus(x), so: softplus(x)
    everywhere, corrected at the positives."""
    lp = logits.reshape(-1)[positives]
    return (F.softplus(logits).sum() + (pos_weight * F.softplus(-lp) - F.softplus(lp)).sum()) / logits.numel()


def train_vision(model, cache, samples, tok, seconds, max_steps, batch, lr):
    vision = model.vision
    dv, P = vision.width, vision.grid[0] * vision.grid[1]
    lm_vocab = model.cfg['lm']['vocab_size']
    heads = VisionHeads(dv, lm_vocab)
    params = list(vision.parameters()) + list(heads.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    stills = np.nonzero(cache.still)[0]
    easy = np.array([i for i in stills if samples[i]['viewport'][2] == 2 or samples[i]['viewport'][0] <= 960])
    desc = {i: tok.encode(next(t['answer'] for t in samples[i]['tasks'] if t['task'] == 'describe')) for i in stills}
    rng = np.random.default_rng(0)
    budget = Budget(seconds, max_steps)
    step, hist = 0, []
    while not budget.done(step):
        frac = budget.frac(step)
        pool = easy if frac < 0.25 and len(easy) >= batch else stills
        idx = rng.choice(pool, size=batch, replace=False)
        # Every sample gives its global view (dense + contrastive) and one random tile (dense).
        glob = cache.start[idx]
        tile = glob + rng.integers(1, cache.count[idx])
        frames = np.concatenate([glob, tile])
        x = normalize(cache.frames[frames])
        comp = torch.from_numpy(cache.comp[frames].astype(np.int64)).view(len(frames), -1)   # [2B, P]
        words = word_targets(cache, frames, P, lm_vocab)                                     # flat indices into [2B, P, V]
        for g in opt.param_groups:
            g['lr'] = lr_at(frac, lr)
        with bf16():
            feats = vision(x)                                                               # [2B, P, Dv]
        feats = feats.float()
        loss_comp = F.cross_entropy(heads.comp(feats).reshape(-1, len(COMP_TYPES) + 1), comp.reshape(-1), ignore_index=-1)
        wl = heads.words(feats)                                                             # [2B, P, V]
        # Positives are rare: weight them so "nothing written here" is not the easy answer.
        loss_words = sparse_target_bce(wl, words, pos_weight=20.0)
        ids = [desc[i] for i in idx]
        offsets = torch.tensor(np.cumsum([0] + [len(d) for d in ids[:-1]]))
        t_emb = F.normalize(heads.text(torch.tensor(np.concatenate(ids)), offsets), dim=-1)
        i_emb = F.normalize(heads.img_proj(feats[:batch].mean(1)), dim=-1)
        logits = i_emb @ t_emb.t() * heads.logit_scale.exp().clamp(max=100)
        target = torch.arange(batch)
        loss_clip = (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
        loss = loss_comp + loss_words + 0.5 * loss_clip
        check_finite('vision', step, comp=loss_comp, words=loss_words, clip=loss_clip)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            hit = (wl.reshape(-1)[words] > 0).float().mean().item() if len(words) else 0.0
            acc = (heads.comp(feats).argmax(-1) == comp)[comp >= 0].float().mean().item()
        hist.append((loss_comp.item(), loss_words.item(), loss_clip.item(), acc, hit))
        step += 1
        if step % 25 == 0 or budget.done(step):
            m = np.mean(hist[-25:], axis=0)
            log('vision', f'step {step} {budget.elapsed():.0f}s comp {m[0]:.3f} words {m[1]:.4f} clip {m[2]:.3f} '
                          f'cell-type acc {m[3]:.3f} word recall {m[4]:.3f} lr {lr_at(frac, lr):.2e}')
    for p in vision.parameters():
        p.requires_grad_(False)
    m = np.mean(hist[-25:], axis=0)
    return {'steps': step, 'seconds': round(budget.elapsed()), 'cell_type_acc': float(m[3]), 'word_recall': float(m[4]), 'clip_loss': float(m[2])}
