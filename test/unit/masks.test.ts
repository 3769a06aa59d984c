// Decoder masks: causal attention_bias, media_bias letting each token see only its own
// media item, media_gate zeroing tokens without media, and the media key/value layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionBias, MASKED, mediaBias, mediaGate, visualTokens } from '../../src/flamingo/masks';
import { concatMedia } from '../../src/flamingo/media';

test('attention_bias is causal over past and new tokens', () => {
  const past = 2, S = 3, T = past + S;
  const bias = attentionBias(past, S);
  for (let j = 0; j < S; j++) {
    for (let t = 0; t < T; t++) assert.equal(bias[j * T + t], t <= past + j ? 0 : MASKED, `query ${j}, key ${t}`);
  }
  assert.deepEqual([...attentionBias(7, 1)], new Array(8).fill(0));
});

test('media_bias: a token sees exactly the latents of its own media item', () => {
  const N = 3, mediaIds = [0, 1, 1, 2, 2];
  const bias = mediaBias(mediaIds, 2, N);
  const V = visualTokens(2, N);
  assert.equal(V, 6);
  mediaIds.forEach((id, j) => {
    for (let v = 0; v < V; v++) assert.equal(bias[j * V + v], id > 0 && Math.floor(v / N) === id - 1 ? 0 : MASKED, `token ${j}, visual ${v}`);
  });
  assert.deepEqual([...mediaGate(mediaIds)], [0, 1, 1, 1, 1]);
});

test('no media: one masked zero item, gates closed', () => {
  assert.equal(visualTokens(0, 4), 4);
  assert.ok(mediaBias([0, 0], 0, 4).every((b) => b === MASKED));
  assert.deepEqual([...mediaGate([0, 0])], [0, 0]);
  assert.throws(() => mediaBias([0, 3], 2, 4), /media id 3/);
});

test('media keys concatenate per head, item after item', () => {
  const heads = 2, N = 2, hd = 3;
  const item = (m: number) => Float32Array.from({ length: heads * N * hd }, (_, i) => m * 100 + i); // [xH, N, xhd]
  const out = concatMedia([item(1), item(2)], heads, N, hd); // [xH, 2N, xhd]
  for (let h = 0; h < heads; h++) {
    for (let v = 0; v < 2 * N; v++) {
      for (let d = 0; d < hd; d++) {
        const m = Math.floor(v / N) + 1, n = v % N;
        assert.equal(out[(h * 2 * N + v) * hd + d], m * 100 + (h * N + n) * hd + d);
      }
    }
  }
  assert.deepEqual([...concatMedia([], heads, N, hd)], new Array(heads * N * hd).fill(0));
});
