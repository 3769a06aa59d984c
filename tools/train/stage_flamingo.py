"""Stage 3: with the encoder and the LM frozen, train only the Perceiver Resampler, the GATED
XATTN-DENSE blocks and the embeddings of <image> and <|endofchunk|>, on interleaved sequences:
one to three media items (still screens, tiled into frames, or recordings) each followed by
its prompt and answer, so that few-shot prompting works. The frozen encoder's features are
computed once into a cache.
Two aids keep the tanh gates (from 0) from staying shut, which is what the first run did: a
curriculum that first trains on the answers' first tokens only (what the image decides), and
an auxiliary head that makes the resampler's latents predict the answers' tokens. See
models/flamingo-screens/MODEL_CARD.md for the experiments behind them."""
import os

import numpy as np
import torch
import torch.nn.functional as F

from common import Budget, bf16, check_finite, log, lr_at
from data import normalize


def cache_features(vision, frames, path, batch=16):
    """Frozen encoder features of every frame: float16 memmap [T, P, Dv]. Computed under bf16
    autocast (2x faster here): a ~0.4% relative rounding, against fp32 features at inference."""
    T = len(frames)
    if os.path.exists(path):
        cached = np.load(path, mmap_mode='r')
        if len(cached) == T:
            return cached
        log('flamingo', f'{path} holds {len(cached)} frames, this run needs {T}: recomputing')
    P, dv = vision.grid[0] * vision.grid[1], vision.width
    out = np.lib.format.open_memmap(path + '.tmp.npy', mode='w+', dtype=np.float16, shape=(T, P, dv))
    with torch.no_grad():
        for a in range(0, T, batch):
            with bf16():
                out[a:a + batch] = vision(normalize(frames[a:a + batch])).float().numpy().astype(np.float16)
    out.flush()
    del out
    os.replace(path + '.tmp.npy', path)
    return np.load(path, mmap_mode='r')


class Examples:
    """(sample, prompt ids, answer ids) for every task of every sample."""

    def __init__(self, samples, tok, tasks=None):
        self.items = [(i, tok.encode(t['prompt'] + '\n'), tok.encode(t['answer']), t['task'])
                      for i, s in enumerate(samples) for t in s['tasks'] if tasks is None or t['task'] in tasks]
        self.bos, self.image, self.eoc = tok.id('<s>'), tok.id('<image>'), tok.id('<|endofchunk|>')
        # every token of a sample's answers: the target of the resampler's auxiliary head
        self.bag = [sorted({i for t in s['tasks'] for i in tok.encode(t['answer'])}) for s in samples]


def make_batch(ex, feats, cache, picks, max_len):
    """picks: list (per sequence) of example indices. Returns token ids, labels, media index,
    media features [Mtot, Fmax, P, Dv], frame mask [Mtot, Fmax] and each media's (seq, slot)."""
    seqs, media = [], []
    for b, chosen in enumerate(picks):
        ids, labels, midx = [ex.bos], [-100], [0]
        m = 0
        for e in chosen:
            i, p, a, _ = ex.items[e]
            chunk = [ex.image] + p + a + [ex.eoc]
            if len(ids) + len(chunk) > max_len and m > 0:
                break
            chunk = chunk[:max_len - len(ids)]
            m += 1
            media.append((b, m - 1, i))
            ids += chunk
            labels += [-100] * (1 + len(p)) + (a + [ex.eoc])[:len(chunk) - 1 - len(p)]
            midx += [m] * len(chunk)
        seqs.append((ids, labels[:len(ids)], midx))
    S = max(len(s[0]) for s in seqs)
    B = len(seqs)
    ids = torch.zeros(B, S, dtype=torch.long)
    labels = torch.full((B, S), -100, dtype=torch.long)
    midx = torch.zeros(B, S, dtype=torch.long)
    for b, (i, l, m) in enumerate(seqs):
        ids[b, :len(i)], labels[b, :len(l)], midx[b, :len(m)] = torch.tensor(i), torch.tensor(l), torch.tensor(m)
    fmax = max(cache.count[i] for _, _, i in media)
    P, dv = feats.shape[1], feats.shape[2]
    mf = torch.zeros(len(media), fmax, P, dv)
    mask = torch.zeros(len(media), fmax, dtype=torch.bool)
    for j, (_, _, i) in enumerate(media):
        n = cache.count[i]
        mf[j, :n] = torch.from_numpy(feats[cache.start[i]:cache.start[i] + n].astype(np.float32))
        mask[j, :n] = True
    return ids, labels, midx, mf, mask, [(b, s) for b, s, _ in media], [i for _, _, i in media]


def flamingo_logits(model, ids, midx, lat, slots, shuffle=False):
    """lat [Mtot, N, Dv]: the resampler's latents of every media item of the batch."""
    if shuffle:  # collapse probe: give every sequence other sequences' images
        lat = lat[torch.roll(torch.arange(len(lat)), 1)]
    B = ids.shape[0]
    mmax = max(s for _, s in slots) + 1
    media = torch.zeros(B, mmax, lat.shape[1], lat.shape[2])
    for j, (b, s) in enumerate(slots):
        media[b, s] = lat[j]
    return model.decode(ids, media, midx)


def next_token_loss(logits, labels):
    # labels[t] marks token t as a target; it is predicted from position t - 1.
    return F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)


def answer_heads(labels, k=6):
    """labels with only the first k target tokens of each answer kept: kind, theme, error class
    and event type come first, so this is where image use shows before labels can be read."""
    start = torch.zeros_like(labels, dtype=torch.bool)
    for j in range(1, k + 1):
        start[:, j:] |= labels[:, :-j] == -100
    return torch.where(start, labels, torch.full_like(labels, -100))


def trainable(model):
    params = list(model.resampler.parameters()) + list(model.xattn.parameters())
    emb = model.lm.tok_embeddings.weight
    emb.requires_grad_(True)
    keep = torch.zeros(emb.shape[0], 1)
    keep[-2:] = 1.0  # only the new tokens' rows learn
    emb.register_hook(lambda g: g * keep)
    for p in params:
        p.requires_grad_(True)
    return params, emb


def train_flamingo(model, ex, feats, cache, seconds, max_steps, batch, lr, max_len=384, heads_until=0.0, heads_k=8, aux_weight=0.0):
    params, emb = trainable(model)
    vocab, dv = emb.shape[0], model.vision.width
    # Auxiliary head (dropped after training): from the mean of a media item's latents, the bag
    # of tokens of its answers. It makes the latents carry what the answers need early, so that
    # the gated cross-attention has a signal to open its gates for.
    aux = torch.nn.Linear(dv, vocab)
    gates = [p for n, p in model.xattn.named_parameters() if n.endswith('_gate')]
    decayed = [p for p in params if all(p is not g for g in gates)] + list(aux.parameters())
    groups = [{'params': decayed, 'weight_decay': 0.01}, {'params': [emb] + gates, 'weight_decay': 0.0}]
    opt = torch.optim.AdamW(groups, lr=lr)
    rng = np.random.default_rng(2)
    budget = Budget(seconds, max_steps)
    step, hist = 0, []
    n = len(ex.items)
    while not budget.done(step):
        frac = budget.frac(step)
        picks = [list(rng.integers(0, n, size=rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2]))) for _ in range(batch)]
        ids, labels, midx, mf, mask, slots, owners = make_batch(ex, feats, cache, picks, max_len)
        for g in opt.param_groups:
            g['lr'] = lr_at(frac, lr)
        with bf16():
            lat = model.resampler(mf, mask)                                          # [Mtot, N, Dv]
            logits = flamingo_logits(model, ids, midx, lat, slots)
        # Curriculum: first only the answers' first tokens (what the image decides before any
        # label can be read), then whole answers.
        loss = next_token_loss(logits, answer_heads(labels, heads_k) if frac < heads_until else labels)
        if aux_weight > 0:
            bag = torch.zeros(len(owners), vocab)
            for j, i in enumerate(owners):
                bag[j, ex.bag[i]] = 1.0
            aux_loss = F.binary_cross_entropy_with_logits(aux(lat.float().mean(1)), bag, pos_weight=torch.tensor(5.0))
            loss = loss + aux_weight * aux_loss
        check_finite('flamingo', step, loss=loss)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params + [emb], 1.0)
        opt.step()
        step += 1
        if step % 25 == 0 or budget.done(step):
            # Collapse probe, both after the step: the loss with the right images against the
            # loss with other sequences' images, on whole answers and on their first tokens.
            with torch.no_grad(), bf16():
                lat = model.resampler(mf, mask)
                right_logits = flamingo_logits(model, ids, midx, lat, slots)
                other_logits = flamingo_logits(model, ids, midx, lat, slots, shuffle=True)
            heads = answer_heads(labels)
            right, other = next_token_loss(right_logits, labels).item(), next_token_loss(other_logits, labels).item()
            head_right, head_other = next_token_loss(right_logits, heads).item(), next_token_loss(other_logits, heads).item()
            hist.append((right, other, head_right, head_other))
            gates = ' '.join(f'{torch.tanh(x.attn_gate).item():+.2f}/{torch.tanh(x.ff_gate).item():+.2f}' for x in model.xattn.values())
            log('flamingo', f'step {step} {budget.elapsed():.0f}s loss {right:.3f} (other images {other:.3f}) '
                            f'answer starts {head_right:.3f} (other images {head_other:.3f}) gates {gates} lr {lr_at(frac, lr):.2e}')
    for p in params + [emb]:
        p.requires_grad_(False)
    last = np.mean(hist[-8:], axis=0) if hist else [float('nan')] * 4
    return {'steps': step, 'seconds': round(budget.elapsed()), 'loss': float(last[0]), 'loss_other_images': float(last[1]),
            'answer_start_loss': float(last[2]), 'answer_start_loss_other_images': float(last[3])}
