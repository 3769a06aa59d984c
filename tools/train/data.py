"""Data for the three stages: spec section 7 preprocessing (letterbox, tiles), the frame cache
(uint8 frames in a memmap), dense per-cell targets for the encoder, and token sequences."""
import json
import os

import numpy as np
from PIL import Image

COMP_TYPES = ['heading', 'button', 'link', 'text field', 'checkbox', 'toggle', 'dropdown', 'list item', 'table',
              'card', 'search box', 'dialog', 'toast', 'terminal', 'code editor', 'tab', 'problems panel',
              'navigation bar', 'node', 'participant', 'class']
COMP_ID = {t: i + 1 for i, t in enumerate(COMP_TYPES)}  # 0 = background


def letterbox(img, H, W, pad=(255, 255, 255)):
    """Spec section 7: scale to fit, box filter, top-left, pad. Returns (uint8 [H, W, 3], scale)."""
    w, h = img.size
    s = min(W / w, H / h)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    canvas = Image.new('RGB', (W, H), pad)
    canvas.paste(img.resize((nw, nh), Image.BOX), (0, 0))
    return np.asarray(canvas), s


def rgb(path, pad=(255, 255, 255)):
    img = Image.open(path)
    if img.mode in ('RGBA', 'LA', 'P'):
        img = img.convert('RGBA')
        bg = Image.new('RGBA', img.size, pad + (255,))
        img = Image.alpha_composite(bg, img)
    return img.convert('RGB')


def still_frames(img, H, W, tiles):
    """[(frame uint8 [H, W, 3], scale, x_off, y_off)]: global view, then the tiles row-major."""
    out = []
    if tiles is None or tiles['global']:
        f, s = letterbox(img, H, W)
        out.append((f, s, 0, 0))
    if tiles is not None:
        big, s = letterbox(img, tiles['rows'] * H, tiles['cols'] * W)
        for r in range(tiles['rows']):
            for c in range(tiles['cols']):
                out.append((big[r * H:(r + 1) * H, c * W:(c + 1) * W], s, c * W, r * H))
    return out


def load_samples(split_dir):
    with open(os.path.join(split_dir, 'samples.jsonl')) as f:
        return [json.loads(line) for line in f if line.strip()]


def word_tokens(tok, word):
    """The token ids a written word shows, with and without a leading space."""
    if any(not c.isascii() and (c.isalpha() or c.isnumeric()) for c in word):
        return []
    return sorted(set(tok.encode(word)) | set(tok.encode(' ' + word)))


def build_frame_cache(split_dir, cache_dir, cfg_pre, grid, tok):
    """Preprocesses every sample's frames once into cache_dir: frames.u8 [T, H, W, 3] memmap,
    index.npz (per-sample frame start/count), and the dense targets of still frames:
    comp [T, gh, gw] int8 (-1 = no target) and word tokens as (frame, cell, token) triples."""
    done = os.path.join(cache_dir, 'index.npz')
    if os.path.exists(done):
        return
    os.makedirs(cache_dir, exist_ok=True)
    H, W = cfg_pre['image_size']
    tiles = cfg_pre['tiles']
    gh, gw = grid
    samples = load_samples(split_dir)
    per_still = (1 if tiles is None or tiles['global'] else 0) + (tiles['rows'] * tiles['cols'] if tiles else 0)
    total = sum(per_still if s['kind'] != 'recording' else len(s['files']) for s in samples)
    frames = np.lib.format.open_memmap(os.path.join(cache_dir, 'frames.npy'), mode='w+', dtype=np.uint8, shape=(total, H, W, 3))
    comp = np.full((total, gh, gw), -1, dtype=np.int8)
    triples, start, count = [], [], []
    t = 0
    cell_h, cell_w = H / gh, W / gw
    for s in samples:
        start.append(t)
        if s['kind'] == 'recording':
            for f in s['files']:
                frames[t], _ = letterbox(rgb(os.path.join(split_dir, f)), H, W)
                t += 1
            count.append(len(s['files']))
            continue
        img = rgb(os.path.join(split_dir, s['files'][0]))
        words = [(word_tokens(tok, w[0]), w[1:]) for w in s['words']]
        for f, sc, xo, yo in still_frames(img, H, W, tiles):
            frames[t] = f
            comp[t] = 0
            for c, _label, x0, y0, x1, y1 in s['boxes']:
                cx0, cy0, cx1, cy1 = _cells(x0, y0, x1, y1, sc, xo, yo, cell_w, cell_h, gw, gh)
                if cx1 > cx0 and cy1 > cy0:
                    comp[t, cy0:cy1, cx0:cx1] = COMP_ID.get(c, 0)
            for ids, (x0, y0, x1, y1) in words:
                cx0, cy0, cx1, cy1 = _cells(x0, y0, x1, y1, sc, xo, yo, cell_w, cell_h, gw, gh)
                for cy in range(cy0, cy1):
                    for cx in range(cx0, cx1):
                        for i in ids:
                            triples.append((t, cy * gw + cx, i))
            t += 1
        count.append(per_still)
    frames.flush()
    triples = np.array(triples, dtype=np.int32).reshape(-1, 3)
    np.save(os.path.join(cache_dir, 'comp.npy'), comp)
    np.save(os.path.join(cache_dir, 'words.npy'), triples)
    np.savez(done, start=np.array(start), count=np.array(count), still=np.array([s['kind'] != 'recording' for s in samples]))


def _cells(x0, y0, x1, y1, sc, xo, yo, cw, ch, gw, gh):
    """Cells of a frame's grid that an image-pixel box covers (half-open ranges, clipped)."""
    fx0, fy0, fx1, fy1 = x0 * sc - xo, y0 * sc - yo, x1 * sc - xo, y1 * sc - yo
    return (max(0, int(fx0 // cw)), max(0, int(fy0 // ch)), min(gw, int(np.ceil(fx1 / cw))), min(gh, int(np.ceil(fy1 / ch))))


class FrameCache:
    def __init__(self, cache_dir):
        self.frames = np.load(os.path.join(cache_dir, 'frames.npy'), mmap_mode='r')
        self.comp = np.load(os.path.join(cache_dir, 'comp.npy'))
        words = np.load(os.path.join(cache_dir, 'words.npy'))
        idx = np.load(os.path.join(cache_dir, 'index.npz'))
        self.start, self.count, self.still = idx['start'], idx['count'], idx['still']
        order = np.argsort(words[:, 0], kind='stable')
        self.words = words[order]
        self.word_off = np.searchsorted(self.words[:, 0], np.arange(len(self.frames) + 1))

    def frame_words(self, t):
        w = self.words[self.word_off[t]:self.word_off[t + 1]]
        return w[:, 1], w[:, 2]  # cells, token ids


def normalize(frames_u8, mean=0.5, std=0.5):
    """uint8 [..., H, W, 3] -> float [..., 3, H, W] ((v/255 - mean) / std)."""
    import torch
    x = torch.from_numpy(np.ascontiguousarray(frames_u8)).float().div_(255.0).sub_(mean).div_(std)
    return x.movedim(-1, -3).contiguous()
