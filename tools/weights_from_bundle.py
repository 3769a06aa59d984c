"""Reads a built bundle's weights back into a weights folder (model-spec §8: config.json,
bundle.json, tokenizer.json, model.safetensors) that `build-model --weights` turns into the
same bundle again, and that the benchmark's PyTorch peer loads.

Why: the trained weights live only in the training cache, which a fresh checkout lacks. With
this, a builder change can be applied to the shipped bundle and the peer can run from a clean
clone.

The builder folds frozen weights into constants; each fold is undone here:
  - Linear W [out, in] is stored as W^T ("<name>_T"); packed to_kv as k_T and v_T halves.
  - tanh(gate) of each gated block scales its to_out and ff.3 weights (gates: training.json);
    divided out again so that rebuilding gives the same bytes.
  - NFNet convs are stored weight-standardised, with alpha * skip_gain folded into conv2.
    Standardisation is not invertible, so an equivalent parameterisation is written: each row
    of W_hat scaled to variance 1 as the weight, the gain chosen so standardising gives W_hat
    back, skip_gain = 1 / alpha. The vision encoder computes the same function (to float
    rounding), with other numbers in weight, gain and skip_gain than the trainer had.
Needs Debian's python3-onnx. NFNet vision only (a ViT bundle is refused).

usage: python3 tools/weights_from_bundle.py BUNDLE_DIR OUT_DIR
"""
import json
import math
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'train'))
import safetensors_io  # noqa: E402

WS_EPS = 1e-4  # the builder's and the trainer's weight-standardisation epsilon


def initializers(path):
    model = onnx.load(path, load_external_data=True)
    return {t.name: numpy_helper.to_array(t).astype(np.float32) for t in model.graph.initializer}


def linear_weights(inits, out):
    """'<name>_T' [in, out] -> '<name>' [out, in]; to_kv k_T / v_T halves -> one packed to_kv."""
    for name, a in inits.items():
        if name.endswith('.k_T'):
            base = name[:-len('.k_T')]
            out[base] = np.concatenate([a.T, inits[base + '.v_T'].T], axis=0)
        elif name.endswith('_T') and not name.endswith('.v_T'):
            out[name[:-2]] = a.T.copy()


def unfold(folded, scale):
    """folded / scale, in float64 as the builder multiplied (it rounds the product once): this
    gives back W with float32(W * scale) == folded, so rebuilding writes the same bytes."""
    if scale == 0:
        return folded  # a gate at exactly 0 left zeros: nothing to recover
    return (folded.astype(np.float64) / scale).astype(np.float32)


def unstandardize(w_hat):
    """An equivalent (weight, gain) for a standardised conv weight W_hat [out, in, k, k]."""
    rows = w_hat.reshape(w_hat.shape[0], -1).astype(np.float64)
    fan_in = rows.shape[1]
    rows = rows - rows.mean(axis=1, keepdims=True)  # zero already, to rounding
    std = rows.std(axis=1, keepdims=True)
    weight = np.divide(rows, std, out=np.zeros_like(rows), where=std > 0)  # variance 1 (or a zero row)
    gain = std[:, 0] * math.sqrt(fan_in) * math.sqrt(1 + WS_EPS)
    return weight.reshape(w_hat.shape).astype(np.float32), gain.astype(np.float32)


def main(bundle, out_dir):
    manifest = json.load(open(os.path.join(bundle, 'manifest.json')))
    config = manifest['config']
    if config['vision']['type'] != 'nfnet':
        raise SystemExit(f'weights_from_bundle: vision type {config["vision"]["type"]!r} is not supported (NFNet only)')
    weights = {}

    # Vision: standardised convs back to (weight, gain, bias); skip_gain absorbed into gain.
    vision = initializers(os.path.join(bundle, manifest['graphs']['vision']))
    alpha = config['vision']['nfnet']['alpha']
    for name, a in vision.items():
        if name.endswith('.weight_standardized'):
            prefix = name[:-len('.weight_standardized')]
            weights[prefix + '.weight'], weights[prefix + '.gain'] = unstandardize(a)
            weights[prefix + '.bias'] = vision[prefix + '.bias']
            if prefix.endswith('.conv2'):
                weights[prefix[:-len('.conv2')] + '.skip_gain'] = np.array([1 / alpha], np.float32)
    if 'vision.pos_embed' in vision:
        weights['vision.pos_embed'] = vision['vision.pos_embed']

    # Resampler (and the cross-attention to_kv, which is computed once per image there).
    resampler = initializers(os.path.join(bundle, manifest['graphs']['resampler']))
    linear_weights(resampler, weights)
    for name, a in resampler.items():
        if name.startswith('resampler.') and not name.endswith('_T'):
            weights[name] = a.reshape(a.shape[1:]) if name == 'resampler.latents' else a

    # Decoder: tanh gates come out of the to_out and ff.3 weights they were folded into.
    decoder = initializers(os.path.join(bundle, manifest['graphs']['decoder']))
    lm_and_xattn = {k: v for k, v in decoder.items() if k.startswith(('lm.', 'xattn.'))}
    linear_weights(lm_and_xattn, weights)
    for name, a in lm_and_xattn.items():
        if not name.endswith('_T'):
            weights[name] = a
    training = os.path.join(bundle, 'training.json')  # the trainer records the gates there
    gates = json.load(open(training))['tanh_gates'] if os.path.exists(training) else {}
    for i in sorted({k.split('.')[1] for k in weights if k.startswith('xattn.')}):
        if i not in gates:
            raise SystemExit(f'weights_from_bundle: no tanh gates for xattn.{i} in {bundle}/training.json')
        for gate, folded in (('attn_gate', 'attn.to_out.weight'), ('ff_gate', 'ff.3.weight')):
            g = np.array([math.atanh(gates[i][gate])], np.float32)
            weights[f'xattn.{i}.{gate}'] = g
            weights[f'xattn.{i}.{folded}'] = unfold(weights[f'xattn.{i}.{folded}'], math.tanh(float(g[0])))

    os.makedirs(out_dir, exist_ok=True)
    safetensors_io.save(os.path.join(out_dir, 'model.safetensors'), weights)
    json.dump(config, open(os.path.join(out_dir, 'config.json'), 'w'), indent=2)
    meta = {k: manifest[k] for k in ('name', 'description', 'tokens', 'preprocess', 'generation')}
    json.dump(meta, open(os.path.join(out_dir, 'bundle.json'), 'w'), indent=2)
    shutil.copyfile(os.path.join(bundle, manifest['tokenizer']), os.path.join(out_dir, 'tokenizer.json'))
    print(f'wrote {out_dir}: {len(weights)} tensors, {sum(a.size for a in weights.values())} parameters')


if __name__ == '__main__':
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.strip().splitlines()[-1])
    main(sys.argv[1], sys.argv[2])
