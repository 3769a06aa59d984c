"""Stage 2: pretrain the decoder-only LM on the generator's texts alone (prompt, newline,
answer, EOS; packed into windows), then freeze it."""
import numpy as np
import torch
import torch.nn.functional as F

from common import Budget, bf16, check_finite, log, lr_at


def lm_stream(samples, tok):
    bos, eos = tok.id('<s>'), tok.id('</s>')
    out = []
    for s in samples:
        for t in s['tasks']:
            out += [bos] + tok.encode(t['prompt'] + '\n') + tok.encode(t['answer']) + [eos]
    return np.array(out, dtype=np.int64)


def train_lm(model, samples, tok, seconds, max_steps, batch, seq, lr):
    stream = lm_stream(samples, tok)
    lm_params = list(model.lm.parameters())
    opt = torch.optim.AdamW(lm_params, lr=lr, weight_decay=0.05)
    rng = np.random.default_rng(1)
    budget = Budget(seconds, max_steps)
    step, hist = 0, []
    n_new = 2  # <image>, <|endofchunk|>: rows exist but the LM never sees them here
    while not budget.done(step):
        frac = budget.frac(step)
        starts = rng.integers(0, len(stream) - seq - 1, size=batch)
        chunk = torch.from_numpy(np.stack([stream[s:s + seq + 1] for s in starts]))
        for g in opt.param_groups:
            g['lr'] = lr_at(frac, lr)
        with bf16():
            logits = model.decode(chunk[:, :-1])
        logits = logits.float()[..., :-n_new]
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), chunk[:, 1:].reshape(-1))
        check_finite('lm', step, loss=loss)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lm_params, 1.0)
        opt.step()
        hist.append(loss.item())
        step += 1
        if step % 50 == 0 or budget.done(step):
            log('lm', f'step {step} {budget.elapsed():.0f}s loss {np.mean(hist[-50:]):.3f} lr {lr_at(frac, lr):.2e}')
    for p in lm_params:
        p.requires_grad_(False)
    return {'steps': step, 'seconds': round(budget.elapsed()), 'tokens': int(len(stream)), 'loss': float(np.mean(hist[-50:]))}
