"""The Flamingo model in PyTorch, exactly as docs/model-spec.md writes it (names, shapes, math):
NFNet vision encoder -> Perceiver Resampler -> Llama LM with GATED XATTN-DENSE blocks."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

GELU_GAMMA = 1.7015043497085571


def gelu(x):
    """Exact GELU, guarded against torch 1.13's CPU GELU backward, which is wrong when the
    incoming gradient and the input have different memory layouts (fp32: silently wrong and
    run-to-run different; bf16: NaN). NFNet's last activation meets exactly that: its output
    is read back through flatten(2).transpose(1, 2), so its gradient arrives transposed. Both
    the input and the gradient are made contiguous. test/train/gradients.test.ts checks it."""
    y = F.gelu(x.contiguous())
    if y.requires_grad:
        y.register_hook(lambda g: g.contiguous())
    return y


def act(x):
    return gelu(x) * GELU_GAMMA  # NFNet's gamma-scaled exact GELU


class WSConv2d(nn.Module):
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k) * (1.0 / math.sqrt(cin * k * k)))
        self.gain = nn.Parameter(torch.ones(cout))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.stride, self.pad, self.fan_in = stride, (k - 1) // 2 if k % 2 == 1 else 0, cin * k * k

    def standardized(self):
        w = self.weight
        mean = w.mean(dim=(1, 2, 3), keepdim=True)
        var = w.var(dim=(1, 2, 3), keepdim=True, unbiased=False)
        return self.gain.view(-1, 1, 1, 1) * (w - mean) / torch.sqrt(var + 1e-4) / math.sqrt(self.fan_in)

    def forward(self, x):
        return F.conv2d(x, self.standardized(), self.bias, self.stride, self.pad)


class NFBlock(nn.Module):
    def __init__(self, cin, cout, stride, first):
        super().__init__()
        self.conv1 = WSConv2d(cin, cout, 3, stride)
        self.conv2 = WSConv2d(cout, cout, 3, 1)
        self.shortcut = WSConv2d(cin, cout, 1, stride) if first and (stride != 1 or cin != cout) else None
        self.skip_gain = nn.Parameter(torch.zeros(1))

    def forward(self, x, beta, alpha):
        out = act(x) * beta
        shortcut = self.shortcut(out) if self.shortcut is not None else x
        h = self.conv2(act(self.conv1(out)))
        return shortcut + alpha * self.skip_gain * h


class NFNet(nn.Module):
    """pixels [F, 3, H, W] -> features [F, P, Dv]"""

    def __init__(self, cfg):
        super().__init__()
        n = cfg['nfnet']
        self.alpha = n['alpha']
        cin = 3
        self.stem = nn.ModuleList()
        for s in n['stem']:
            self.stem.append(WSConv2d(cin, s['channels'], s['kernel'], s['stride']))
            cin = s['channels']
        self.stages = nn.ModuleList()
        for st in n['stages']:
            blocks = nn.ModuleList()
            for b in range(st['blocks']):
                blocks.append(NFBlock(cin, st['channels'], st['stride'] if b == 0 else 1, b == 0))
                cin = st['channels']
            self.stages.append(nn.ModuleDict({'blocks': blocks}))
        self.width = cin
        h, w = cfg['image_size']
        for s in n['stem']:
            h, w = _conv_out(h, s['kernel'], s['stride']), _conv_out(w, s['kernel'], s['stride'])
        for st in n['stages']:
            h, w = _conv_out(h, 3, st['stride']), _conv_out(w, 3, st['stride'])
        self.grid = (h, w)
        self.pos_embed = nn.Parameter(torch.randn(h * w, cin) * 0.02) if n['pos_embed'] else None

    def forward(self, pixels):
        x = pixels
        for i, conv in enumerate(self.stem):
            x = conv(x)
            if i < len(self.stem) - 1:
                x = act(x)
        expected_var = 1.0  # across the whole network, reset after each stage's first block (model-spec §2)
        for stage in self.stages:
            for b, block in enumerate(stage['blocks']):
                x = block(x, 1.0 / math.sqrt(expected_var), self.alpha)
                if b == 0:
                    expected_var = 1.0
                expected_var += self.alpha ** 2
        x = act(x)                                           # [F, C, H', W']
        # contiguous: on the transposed view, the Linear layers after it ran as a slow strided bmm
        x = x.flatten(2).transpose(1, 2).contiguous()        # [F, P, C], p = y*W' + x
        return x + self.pos_embed if self.pos_embed is not None else x


def _conv_out(size, k, s):
    pad = (k - 1) // 2 if k % 2 == 1 else 0
    return (size + 2 * pad - k) // s + 1


def layer_norm(x, ln):
    return F.layer_norm(x.float(), ln.normalized_shape, ln.weight, ln.bias, ln.eps)


class FeedForward(nn.Module):
    """LN, Linear(d, d*m), GELU, Linear(d*m, d): names ff.0 / ff.1 / ff.3 as in the spec."""

    def __init__(self, d, mult, eps):
        super().__init__()
        self.ff = nn.Sequential(nn.LayerNorm(d, eps=eps), nn.Linear(d, d * mult, bias=False), nn.GELU(), nn.Linear(d * mult, d, bias=False))


class ResamplerAttention(nn.Module):
    def __init__(self, dv, heads, hd, eps):
        super().__init__()
        self.heads, self.hd = heads, hd
        self.norm_media = nn.LayerNorm(dv, eps=eps)
        self.norm_latents = nn.LayerNorm(dv, eps=eps)
        self.to_q = nn.Linear(dv, heads * hd, bias=False)
        self.to_kv = nn.Linear(dv, 2 * heads * hd, bias=False)
        self.to_out = nn.Linear(heads * hd, dv, bias=False)

    def forward(self, x, lat, key_mask):
        # x [B, K, Dv] (all frames' positions), lat [B, N, Dv], key_mask [B, K] True = real
        B, K, _ = x.shape
        N = lat.shape[1]
        xn, ln = layer_norm(x, self.norm_media), layer_norm(lat, self.norm_latents)
        q = self.to_q(ln).view(B, N, self.heads, self.hd).transpose(1, 2)                 # [B, H, N, hd]
        k, v = self.to_kv(torch.cat([xn, ln], dim=1)).chunk(2, dim=-1)                    # [B, K+N, H*hd]
        k = k.view(B, K + N, self.heads, self.hd).transpose(1, 2)
        v = v.view(B, K + N, self.heads, self.hd).transpose(1, 2)
        s = q @ k.transpose(-1, -2) / math.sqrt(self.hd)                                  # [B, H, N, K+N]
        mask = torch.cat([key_mask, torch.ones(B, N, dtype=torch.bool)], dim=1)
        s = s.masked_fill(~mask[:, None, None, :], float('-inf'))
        a = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, N, self.heads * self.hd)
        return self.to_out(a)


class ResamplerLayer(nn.Module):
    def __init__(self, dv, c):
        super().__init__()
        self.attn = ResamplerAttention(dv, c['heads'], c['head_dim'], c['ln_eps'])
        self.ff = FeedForward(dv, c['ff_mult'], c['ln_eps']).ff


class PerceiverResampler(nn.Module):
    """features [B, F, P, Dv] (+ frame mask [B, F]) -> latents [B, N, Dv]"""

    def __init__(self, dv, c):
        super().__init__()
        self.latents = nn.Parameter(torch.randn(c['num_latents'], dv) * 0.02)
        self.frame_embs = nn.Parameter(torch.randn(c['max_frames'], dv) * 0.02) if c['max_frames'] > 0 else None
        self.layers = nn.ModuleList([ResamplerLayer(dv, c) for _ in range(c['depth'])])
        self.norm = nn.LayerNorm(dv, eps=c['ln_eps'])

    def forward(self, feats, frame_mask):
        B, Fr, P, D = feats.shape
        x = feats + self.frame_embs[:Fr][None, :, None, :] if self.frame_embs is not None else feats
        x = x.reshape(B, Fr * P, D)
        key_mask = frame_mask[:, :, None].expand(B, Fr, P).reshape(B, Fr * P)
        lat = self.latents[None].expand(B, -1, -1)
        for layer in self.layers:
            lat = layer.attn(x, lat, key_mask) + lat
            ff = layer.ff
            lat = ff[3](gelu(ff[1](layer_norm(lat, ff[0])))) + lat
        return layer_norm(lat, self.norm)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        x = x.float()
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, pos, theta):
    # x [B, H, S, hd]; rotates consecutive pairs (llama2.c), pos [B, S]
    hd = x.shape[-1]
    freqs = theta ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)            # [hd/2]
    ang = pos[:, None, :, None].float() * freqs                                       # [B, 1, S, hd/2]
    cos, sin = ang.cos(), ang.sin()
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim=-1).flatten(-2)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.h, self.kvh = c['dim'], c['n_heads'], c['n_kv_heads']
        self.hd, self.theta = d // self.h, c['rope_theta']
        self.wq = nn.Linear(d, self.h * self.hd, bias=False)
        self.wk = nn.Linear(d, self.kvh * self.hd, bias=False)
        self.wv = nn.Linear(d, self.kvh * self.hd, bias=False)
        self.wo = nn.Linear(self.h * self.hd, d, bias=False)

    def forward(self, x, pos, bias):
        B, S, _ = x.shape
        q = rope(self.wq(x).view(B, S, self.h, self.hd).transpose(1, 2), pos, self.theta)
        k = rope(self.wk(x).view(B, S, self.kvh, self.hd).transpose(1, 2), pos, self.theta)
        v = self.wv(x).view(B, S, self.kvh, self.hd).transpose(1, 2)
        rep = self.h // self.kvh                                                          # query head j uses kv head j // rep
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        s = q @ k.transpose(-1, -2) / math.sqrt(self.hd) + bias                           # [B, H, S, S]
        return self.wo((s.softmax(-1) @ v).transpose(1, 2).reshape(B, S, -1))


class LMLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention_norm = RMSNorm(c['dim'], c['norm_eps'])
        self.attention = Attention(c)
        self.ffn_norm = RMSNorm(c['dim'], c['norm_eps'])
        self.feed_forward = nn.ModuleDict({
            'w1': nn.Linear(c['dim'], c['hidden_dim'], bias=False),
            'w2': nn.Linear(c['hidden_dim'], c['dim'], bias=False),
            'w3': nn.Linear(c['dim'], c['hidden_dim'], bias=False)})

    def forward(self, h, pos, bias):
        h = h + self.attention(self.attention_norm(h), pos, bias)
        x = self.ffn_norm(h)
        f = self.feed_forward
        return h + f['w2'](F.silu(f['w1'](x)) * f['w3'](x))


class GatedXAttn(nn.Module):
    """GATED XATTN-DENSE: tanh gates from 0, so an untrained model is exactly the LM."""

    def __init__(self, d, dv, c):
        super().__init__()
        self.heads, self.hd = c['heads'], c['head_dim']
        self.attn = nn.ModuleDict({
            'norm': nn.LayerNorm(d, eps=c['ln_eps']),
            'to_q': nn.Linear(d, self.heads * self.hd, bias=False),
            'to_kv': nn.Linear(dv, 2 * self.heads * self.hd, bias=False),
            'to_out': nn.Linear(self.heads * self.hd, d, bias=False)})
        self.attn_gate = nn.Parameter(torch.zeros(1))
        self.ff = FeedForward(d, c['ff_mult'], c['ln_eps']).ff
        self.ff_gate = nn.Parameter(torch.zeros(1))

    def media_kv(self, media):
        # media [B, V, Dv] -> k, v [B, xH, V, xhd]
        B, V, _ = media.shape
        k, v = self.attn['to_kv'](media).chunk(2, dim=-1)
        return (k.view(B, V, self.heads, self.hd).transpose(1, 2), v.view(B, V, self.heads, self.hd).transpose(1, 2))

    def forward(self, h, media_kv, media_bias, media_gate):
        B, S, _ = h.shape
        k, v = media_kv
        q = self.attn['to_q'](layer_norm(h, self.attn['norm'])).view(B, S, self.heads, self.hd).transpose(1, 2)
        s = q @ k.transpose(-1, -2) / math.sqrt(self.hd) + media_bias                    # [B, xH, S, V]
        a = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, S, -1) * media_gate            # [B, S, xH*xhd]
        h = h + torch.tanh(self.attn_gate) * self.attn['to_out'](a)
        ff = self.ff
        return h + torch.tanh(self.ff_gate) * ff[3](gelu(ff[1](layer_norm(h, ff[0]))))


class LM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.tok_embeddings = nn.Embedding(c['vocab_size'], c['dim'])
        nn.init.normal_(self.tok_embeddings.weight, std=0.02)
        self.layers = nn.ModuleList([LMLayer(c) for _ in range(c['n_layers'])])
        self.norm = RMSNorm(c['dim'], c['norm_eps'])


def causal_bias(S):
    return torch.full((S, S), -1e9).triu(1)


class Flamingo(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.vision = NFNet(cfg['vision'])
        dv = self.vision.width
        self.resampler = PerceiverResampler(dv, cfg['resampler'])
        self.lm = LM(cfg['lm'])
        every = cfg['xattn']['every']
        self.xattn_layers = [i for i in range(cfg['lm']['n_layers']) if every and (i + 1) % every == 0]
        self.xattn = nn.ModuleDict({str(i): GatedXAttn(cfg['lm']['dim'], dv, cfg['xattn']) for i in self.xattn_layers})

    def decode(self, ids, media=None, media_index=None):
        """ids [B, S]; media [B, M, N, Dv] latents; media_index [B, S] 1-based (0 = none).
        Returns logits [B, S, vocab]."""
        B, S = ids.shape
        h = self.lm.tok_embeddings(ids)
        pos = torch.arange(S)[None].expand(B, S)
        bias = causal_bias(S)[None, None]
        if media is not None:
            M, N = media.shape[1], media.shape[2]
            flat = media.reshape(B, M * N, -1)
            owner = torch.arange(M).repeat_interleave(N) + 1                              # [V] media index of each key
            media_bias = torch.where(media_index[:, :, None] == owner[None, None, :], 0.0, -1e9)[:, None]  # [B, 1, S, V]
            media_gate = (media_index > 0).float()[..., None]                             # [B, S, 1]
        for i, layer in enumerate(self.lm.layers):
            if media is not None and str(i) in self.xattn:
                x = self.xattn[str(i)]
                h = x(h, x.media_kv(flat), media_bias, media_gate)
            h = layer(h, pos, bias)
        return self.lm.norm(h) @ self.lm.tok_embeddings.weight.t()                       # tied output
