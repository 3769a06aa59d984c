"""The peer: the same weights in PyTorch eager, with the trainer's own modules (tools/train/model.py)
and preprocessing (tools/train/data.py), greedy decoding with a KV cache (the trainer's
Flamingo.decode recomputes the whole sequence; a KV cache is what a fair peer uses).
Times each stage in fp32 and in bf16 autocast; writes JSON.

Usage: /usr/bin/python3 bench/peer.py --weights DIR --bundle DIR --inputs DIR --images A.png,B.png
         --contexts 32,512 --reps R --warmup W --tokens T --threads 1,2 --out FILE.json
Run with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OPENBLAS_NUM_THREADS=1
(the trainer's settings, shared/notes/training-cpu.md)."""
import argparse
import contextlib
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools', 'train'))
import safetensors_io  # noqa: E402
from data import normalize, rgb, still_frames  # noqa: E402
from model import Flamingo, rope  # noqa: E402


def sample(times_ms):
    return {'median': statistics.median(times_ms), 'min': min(times_ms), 'max': max(times_ms), 'n': len(times_ms)}


def time_it(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return sample(times)


def causal_bias(S, past):
    """[S, past + S]: new token j (position past + j) sees keys 0..past + j."""
    return torch.full((S, past + S), -1e9).triu(past + 1)


def step(model, ids, past, media_kv, media_bias, media_gate):
    """One decoder run with a KV cache. ids [1, S]; past: per layer (k, v) [1, kvH, P, hd] or None.
    Returns logits of the last position [1, vocab] and the new cache."""
    lm = model.lm
    S = ids.shape[1]
    P = 0 if past is None else past[0][0].shape[2]
    h = lm.tok_embeddings(ids)
    pos = torch.arange(P, P + S)[None]
    bias = causal_bias(S, P)[None, None]
    presents = []
    for i, layer in enumerate(lm.layers):
        if str(i) in model.xattn:
            h = model.xattn[str(i)](h, media_kv[i], media_bias, media_gate)
        a = layer.attention
        x = layer.attention_norm(h)
        q = rope(a.wq(x).view(1, S, a.h, a.hd).transpose(1, 2), pos, a.theta)
        k = rope(a.wk(x).view(1, S, a.kvh, a.hd).transpose(1, 2), pos, a.theta)
        v = a.wv(x).view(1, S, a.kvh, a.hd).transpose(1, 2)
        if past is not None:
            k, v = torch.cat([past[i][0], k], 2), torch.cat([past[i][1], v], 2)
        presents.append((k, v))
        rep = a.h // a.kvh
        s = q @ k.repeat_interleave(rep, 1).transpose(-1, -2) / math.sqrt(a.hd) + bias
        h = h + a.wo((s.softmax(-1) @ v.repeat_interleave(rep, 1)).transpose(1, 2).reshape(1, S, -1))
        xf = layer.ffn_norm(h)
        f = layer.feed_forward
        h = h + f['w2'](F.silu(f['w1'](xf)) * f['w3'](xf))
    return lm.norm(h[:, -1:])[:, 0] @ lm.tok_embeddings.weight.t(), presents


def encode(model, pixels):
    """pixels [F, 3, H, W] -> per gated layer (k, v) [1, xH, N, xhd]: vision, resampler, projections."""
    feats = model.vision(pixels)
    lat = model.resampler(feats[None], torch.ones(1, feats.shape[0], dtype=torch.bool))
    return {int(i): x.media_kv(lat) for i, x in model.xattn.items()}


def masks(n_tokens, media_ids, n_latents):
    mid = torch.tensor(media_ids)
    media_bias = torch.where(mid[:, None] == 1, 0.0, -1e9)[None, None].expand(1, 1, n_tokens, n_latents)
    return media_bias, (mid > 0).float()[None, :, None]


def greedy(model, ids, media_ids, media_kv, n_latents, tokens, stops):
    bias, gate = masks(len(ids), media_ids, n_latents)
    logits, past = step(model, torch.tensor([ids]), None, media_kv, bias, gate)
    out = []
    one_bias, one_gate = masks(1, [1], n_latents)
    for _ in range(tokens):
        nxt = int(logits.float().argmax(-1))
        if nxt in stops:
            break
        out.append(nxt)
        if len(out) == tokens:
            break
        logits, past = step(model, torch.tensor([[nxt]]), past, media_kv, one_bias, one_gate)
    return out


def main():
    ap = argparse.ArgumentParser()
    for name in ('weights', 'bundle', 'inputs', 'images', 'contexts', 'out'):
        ap.add_argument('--' + name, required=True)
    for name in ('reps', 'warmup', 'tokens'):
        ap.add_argument('--' + name, type=int, required=True)
    ap.add_argument('--threads', required=True, help='thread counts to try, e.g. 1,2')
    a = ap.parse_args()
    torch.manual_seed(0)
    cfg = json.load(open(os.path.join(a.weights, 'config.json')))
    manifest = json.load(open(os.path.join(a.bundle, 'manifest.json')))
    model = Flamingo(cfg).eval()
    state = {k: torch.from_numpy(v) for k, v in safetensors_io.load(os.path.join(a.weights, 'model.safetensors')).items()}
    model.load_state_dict(state, strict=True)
    lmc, N = cfg['lm'], cfg['resampler']['num_latents']
    hd = lmc['dim'] // lmc['n_heads']
    H, W = cfg['vision']['image_size']
    prompt = json.load(open(os.path.join(a.inputs, 'prompt.json')))
    ids = prompt['ids']
    pixels = torch.from_numpy(np.fromfile(os.path.join(a.inputs, 'pixels.f32'), dtype='<f4')).view(-1, 3, H, W)
    image_id = manifest['tokens']['image']
    media_ids = list(np.cumsum([int(t == image_id) for t in ids]))
    stops = {manifest['tokens']['eos'], manifest['tokens']['endofchunk']}
    pre = manifest['preprocess']
    r = {'warmup': a.warmup, 'reps': a.reps}
    few = {'warmup': min(1, a.warmup) if a.reps > 1 else 0, 'reps': min(3, a.reps)}  # whole requests: as stages.ts wholeRequestReps
    result = {'torch': torch.__version__, 'blas': os.environ.get('LD_LIBRARY_PATH', 'system default'), 'modes': {}}

    with torch.inference_mode():
        # The cached decoder agrees with the trainer's own full forward pass (fp32).
        kv = encode(model, pixels)
        bias, gate = masks(len(ids), media_ids, N)
        cached, _ = step(model, torch.tensor([ids]), None, kv, bias, gate)
        lat = model.resampler(model.vision(pixels)[None], torch.ones(1, pixels.shape[0], dtype=torch.bool))
        full = model.decode(torch.tensor([ids]), lat[:, None], torch.tensor([media_ids]))[0, -1]
        result['cached_vs_full_max_abs_diff'] = float((cached[0] - full).abs().max())

        for threads, dtype in [(t, d) for t in map(int, a.threads.split(',')) for d in ('fp32', 'bf16')]:
            torch.set_num_threads(threads)
            mode = f'{dtype}-{threads}t'
            ctx = (lambda: torch.autocast('cpu', dtype=torch.bfloat16)) if dtype == 'bf16' else contextlib.nullcontext
            s = {}
            with ctx():
                for path in a.images.split(',') if dtype == 'fp32' else []:  # PIL and numpy: no bf16 path
                    name = os.path.splitext(os.path.basename(path))[0]
                    img = rgb(path, tuple(pre['pad_rgb']))
                    s[f'image.preprocess.{name}'] = time_it(lambda: normalize(np.stack([f for f, *_ in still_frames(img, H, W, pre['tiles'])])), **r)
                s['graph.vision'] = time_it(lambda: model.vision(pixels), **r)
                feats = model.vision(pixels)
                mask = torch.ones(1, feats.shape[0], dtype=torch.bool)
                s['graph.resampler'] = time_it(lambda: {i: x.media_kv(model.resampler(feats[None], mask)) for i, x in model.xattn.items()}, **r)
                kv = encode(model, pixels)
                s['engine.encode'] = time_it(lambda: encode(model, pixels), **r)
                s['graph.prefill64'] = time_it(lambda: step(model, torch.tensor([ids]), None, kv, bias, gate), **r)
                one_bias, one_gate = masks(1, [1], N)
                contexts_used = {}
                for c in map(int, a.contexts.split(',')):
                    used = min(c, lmc['max_seq_len'] - 1)
                    contexts_used[c] = used
                    past = [(torch.randn(1, lmc['n_kv_heads'], used, hd) * 0.5, torch.randn(1, lmc['n_kv_heads'], used, hd) * 0.5)
                            for _ in range(lmc['n_layers'])]
                    s[f'graph.decode@{c}'] = time_it(lambda: step(model, torch.tensor([[5]]), past, kv, one_bias, one_gate), **r)

                def ttft():
                    k = encode(model, pixels)
                    logits, _ = step(model, torch.tensor([ids]), None, k, bias, gate)
                    return int(logits.float().argmax(-1))
                s['engine.ttft'] = time_it(ttft, **r)
                gen_times, generated = [], []
                for i in range(few['warmup'] + few['reps']):
                    t = time.perf_counter()
                    generated = greedy(model, ids, media_ids, kv, N, a.tokens, stops)
                    if i >= few['warmup']:
                        gen_times.append((time.perf_counter() - t) * 1000)
                s['engine.generate'] = sample(gen_times)
                frames4 = pixels[:1].expand(4, -1, -1, -1).contiguous()
                s['engine.recording4'] = time_it(lambda: encode(model, frames4), **few)
                n = 1024
                x, y = torch.randn(n, n), torch.randn(n, n)
                s['peak.matmul'] = time_it(lambda: x @ y, **r)
            result['modes'][mode] = {'samples': s, 'generated': generated, 'contexts_used': contexts_used,
                                     'matmul_gflops': 2 * n ** 3 / (s['peak.matmul']['median'] * 1e6)}
    with open(a.out, 'w') as f:
        json.dump(result, f)


if __name__ == '__main__':
    main()
