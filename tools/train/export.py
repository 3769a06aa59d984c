"""Writes the weights folder of docs/model-spec.md section 8 (config.json, model.safetensors,
tokenizer.json, bundle.json) and the parity fixture: inputs and PyTorch logits that the built
ONNX bundle must reproduce (test/train/parity.test.ts)."""
import json
import os

import torch
from PIL import Image

import safetensors_io
from common import write_json
from data import normalize


def export_weights(model, cfg, bundle, tok, out, zero_gates=False):
    """zero_gates: every tanh gate at 0, i.e. the bare LM (the eval's no-vision baseline)."""
    os.makedirs(out, exist_ok=True)
    state = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    if zero_gates:
        state = {k: (v * 0 if k.endswith('_gate') else v) for k, v in state.items()}
    safetensors_io.save(os.path.join(out, 'model.safetensors'), state)
    write_json(os.path.join(out, 'config.json'), cfg)
    write_json(os.path.join(out, 'bundle.json'), bundle)
    tok.save(os.path.join(out, 'tokenizer.json'))
    return sum(v.size for v in state.values())


@torch.no_grad()
def write_fixture(model, tok, media_frames, texts, out):
    """media_frames: list (per media item) of uint8 frames [F, H, W, 3]; texts: the text after
    each <image>. Writes PNG frames, fixture.json, features{m}.f32 (each item's vision features
    [F, P, Dv]: checked on their own, as gates near 0 hide the vision path from the logits)
    and logits.f32 ([S, vocab] float32 LE)."""
    os.makedirs(out, exist_ok=True)
    ids = [tok.id('<s>')] + tok.encode('Screens:')
    for t in texts:
        ids += [tok.id('<image>')] + tok.encode(t)
    media, files = [], []
    for m, frames in enumerate(media_frames):
        names = []
        for f, fr in enumerate(frames):
            name = f'media{m}_frame{f}.png'
            Image.fromarray(fr).save(os.path.join(out, name))
            names.append(name)
        files.append(names)
        media.append(normalize(frames))
    feats = [model.vision(x) for x in media]                                       # [F, P, Dv] each
    for m, f in enumerate(feats):
        f.numpy().astype('<f4').tofile(os.path.join(out, f'features{m}.f32'))
    lat = [model.resampler(f[None], torch.ones(1, len(f), dtype=torch.bool))[0] for f in feats]
    t = torch.tensor([ids])
    midx = torch.cumsum((t == tok.id('<image>')).long(), dim=1)
    logits = model.decode(t, torch.stack(lat)[None], midx)[0].numpy().astype('<f4')
    logits.tofile(os.path.join(out, 'logits.f32'))
    with open(os.path.join(out, 'fixture.json'), 'w') as f:
        json.dump({'input_ids': ids, 'media_index': midx[0].tolist(), 'media': files, 'features': [f'features{m}.f32' for m in range(len(feats))],
                   'logits': 'logits.f32',
                   'logits_shape': list(logits.shape), 'mean': 0.5, 'std': 0.5,
                   'note': 'PyTorch fp32 vision features and logits of tools/train for these inputs; the bundle must match within 1e-3'}, f)
    return logits.shape
