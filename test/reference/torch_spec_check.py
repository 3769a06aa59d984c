# A second, independent implementation of docs/model-spec.md in PyTorch (float64), run by
# test/reference-check/torch-cross-check.test.ts: reads random weights, inputs and the
# TypeScript reference's outputs (JSON, path in argv[1]) and prints the max abs differences.
import json, math, sys
import torch
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)
R = json.load(open(sys.argv[1]))
def T(o): return torch.tensor(o['data'], dtype=torch.float64).reshape(o['shape'])

def nfnet(c, W, x):
    nf = c['vision']['nfnet']
    def ws(name, x, k, stride):
        w = W[name+'.weight']; g = W[name+'.gain']; b = W[name+'.bias']
        fan = w[0].numel()
        m = w.mean(dim=(1,2,3), keepdim=True); v = w.var(dim=(1,2,3), unbiased=False, keepdim=True)
        wh = g.view(-1,1,1,1) * (w - m) / torch.sqrt(v + 1e-4) / math.sqrt(fan)
        return F.conv2d(x, wh, b, stride=stride, padding=(k-1)//2 if k % 2 else 0)
    act = lambda t: F.gelu(t) * 1.7015043497085571
    for i, s in enumerate(nf['stem']):
        if i > 0: x = act(x)
        x = ws(f'vision.stem.{i}', x, s['kernel'], s['stride'])
    ev = 1.0
    for si, st in enumerate(nf['stages']):
        for b in range(st['blocks']):
            n = f'vision.stages.{si}.blocks.{b}'; stride = st['stride'] if b == 0 else 1
            out = act(x) / math.sqrt(ev)
            sc = ws(n+'.shortcut', out, 1, stride) if (n+'.shortcut.weight') in W else x
            h = ws(n+'.conv2', act(ws(n+'.conv1', out, 3, stride)), 3, 1)
            x = sc + nf['alpha'] * W[n+'.skip_gain'] * h
            if b == 0: ev = 1.0
            ev += nf['alpha']**2
    x = act(x).flatten(2).transpose(1, 2)
    if nf['pos_embed']: x = x + W['vision.pos_embed']
    return x

def mha(q, k, v, heads, mask=None):
    S, D = q.shape; hd = D // heads
    q = q.view(S, heads, hd).transpose(0,1); k = k.view(-1, heads, hd).transpose(0,1); v = v.view(-1, heads, hd).transpose(0,1)
    s = q @ k.transpose(1,2) / math.sqrt(hd)
    if mask is not None: s = s + mask
    return (s.softmax(-1) @ v).transpose(0,1).reshape(S, D)

def vit(c, W, x):
    vc = c['vision']['vit']; w = vc['width']
    ln = lambda t, n: F.layer_norm(t, (w,), W[n+'.weight'], W[n+'.bias'], vc['ln_eps'])
    x = F.conv2d(x, W['vision.conv1.weight'], stride=vc['patch_size']).flatten(2).transpose(1,2)
    outs = []
    for f in range(x.shape[0]):
        t = torch.cat([W['vision.class_embedding'][None], x[f]]) + W['vision.positional_embedding']
        t = ln(t, 'vision.ln_pre')
        for i in range(vc['layers']):
            n = f'vision.transformer.resblocks.{i}'
            qkv = ln(t, n+'.ln_1') @ W[n+'.attn.in_proj_weight'].T + W[n+'.attn.in_proj_bias']
            q, k, v = qkv.chunk(3, -1)
            t = t + mha(q, k, v, vc['heads']) @ W[n+'.attn.out_proj.weight'].T + W[n+'.attn.out_proj.bias']
            hdn = ln(t, n+'.ln_2') @ W[n+'.mlp.c_fc.weight'].T + W[n+'.mlp.c_fc.bias']
            hdn = hdn * torch.sigmoid(1.702 * hdn)
            t = t + hdn @ W[n+'.mlp.c_proj.weight'].T + W[n+'.mlp.c_proj.bias']
        outs.append(ln(t, 'vision.ln_post')[1:])
    return torch.stack(outs)

def ff(W, p, x, eps):
    d = x.shape[-1]
    return F.gelu(F.layer_norm(x, (d,), W[p+'.0.weight'], W[p+'.0.bias'], eps) @ W[p+'.1.weight'].T) @ W[p+'.3.weight'].T

def resampler(c, W, x):
    rc = c['resampler']; dv = x.shape[-1]; Fr = x.shape[0]
    if rc['max_frames'] > 0: x = x + W['resampler.frame_embs'][:Fr, None, :]
    x = x.reshape(-1, dv); lat = W['resampler.latents']
    ln = lambda t, n: F.layer_norm(t, (dv,), W[n+'.weight'], W[n+'.bias'], rc['ln_eps'])
    for l in range(rc['depth']):
        n = f'resampler.layers.{l}'
        xn = ln(x, n+'.attn.norm_media'); lt = ln(lat, n+'.attn.norm_latents')
        q = lt @ W[n+'.attn.to_q.weight'].T
        k, v = (torch.cat([xn, lt]) @ W[n+'.attn.to_kv.weight'].T).chunk(2, -1)
        lat = mha(q, k, v, rc['heads']) @ W[n+'.attn.to_out.weight'].T + lat
        lat = ff(W, n+'.ff', lat, rc['ln_eps']) + lat
    return ln(lat, 'resampler.norm')

def decoder(c, W, ids, mids, media):
    lm = c['lm']; xa = c['xattn']; d = lm['dim']; H = lm['n_heads']; kvH = lm['n_kv_heads']; hd = d // H
    S = len(ids); h = W['lm.tok_embeddings.weight'][ids]
    rms = lambda t, w: t / torch.sqrt((t*t).mean(-1, keepdim=True) + lm['norm_eps']) * w
    pos = torch.arange(S, dtype=torch.float64)
    freqs = torch.pow(torch.tensor(float(lm['rope_theta'])), -torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    ang = pos[:, None] * freqs[None]; cos, sin = ang.cos(), ang.sin()
    def rope(t, nh):
        t = t.view(S, nh, hd // 2, 2); a, b = t[..., 0], t[..., 1]
        return torch.stack([a*cos[:, None] - b*sin[:, None], a*sin[:, None] + b*cos[:, None]], -1).reshape(S, nh*hd)
    N = media[0].shape[0]
    mid_keys = torch.tensor([m for m in range(1, len(media)+1) for _ in range(N)])
    mids_t = torch.tensor(mids)
    media_bias = torch.where(mids_t[:, None] == mid_keys[None], 0.0, -1e9)
    gate = (mids_t > 0).double()[:, None]
    allmedia = torch.cat(media)
    causal = torch.triu(torch.full((S, S), -1e9), 1)
    for i in range(lm['n_layers']):
        if xa['every'] and (i + 1) % xa['every'] == 0:
            n = f'xattn.{i}'
            t = F.layer_norm(h, (d,), W[n+'.attn.norm.weight'], W[n+'.attn.norm.bias'], xa['ln_eps'])
            q = t @ W[n+'.attn.to_q.weight'].T
            k, v = (allmedia @ W[n+'.attn.to_kv.weight'].T).chunk(2, -1)
            a = mha(q, k, v, xa['heads'], media_bias) * gate
            h = h + torch.tanh(W[n+'.attn_gate']) * (a @ W[n+'.attn.to_out.weight'].T)
            h = h + torch.tanh(W[n+'.ff_gate']) * ff(W, n+'.ff', h, xa['ln_eps'])
        n = f'lm.layers.{i}'
        x = rms(h, W[n+'.attention_norm.weight'])
        q = rope(x @ W[n+'.attention.wq.weight'].T, H); k = rope(x @ W[n+'.attention.wk.weight'].T, kvH); v = x @ W[n+'.attention.wv.weight'].T
        rep = H // kvH
        k = k.view(S, kvH, hd).repeat_interleave(rep, 1).reshape(S, d); v = v.view(S, kvH, hd).repeat_interleave(rep, 1).reshape(S, d)
        h = h + mha(q, k, v, H, causal) @ W[n+'.attention.wo.weight'].T
        x = rms(h, W[n+'.ffn_norm.weight'])
        h = h + (F.silu(x @ W[n+'.feed_forward.w1.weight'].T) * (x @ W[n+'.feed_forward.w3.weight'].T)) @ W[n+'.feed_forward.w2.weight'].T
    out = W['lm.tok_embeddings.weight'] if lm['tie_embeddings'] else W['lm.output.weight']
    return rms(h, W['lm.norm.weight']) @ out.T

def md(a, b): return (a.flatten() - torch.tensor(b)).abs().max().item()

report = {}
for label, r in R.items():
    c = r['config']; W = {k: T(v) for k, v in r['weights'].items()}
    px, px2 = T(r['pixels']), T(r['pixels2'])
    enc = nfnet if c['vision']['type'] == 'nfnet' else vit
    feats = enc(c, W, px)
    lat = resampler(c, W, feats); lat2 = resampler(c, W, enc(c, W, px2))
    logits = decoder(c, W, r['ids'], r['mids'], [lat, lat2])
    report[label] = {'features': md(feats, r['features']), 'latents': md(torch.stack([lat, lat2]), r['latents']),
                     'logits': md(logits, r['logits']), 'logits_absmax': logits.abs().max().item()}
print(json.dumps(report))
