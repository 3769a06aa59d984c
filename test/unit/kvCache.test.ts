// The runtime-side KV cache: appended positions land after each head's earlier ones, views are
// exactly [kvH, P, hd], and growing past the first allocation keeps what was there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KvCache } from '../../src/flamingo/kvCache';

/** [kvH, S, hd] values that name their head, position and channel: h*10000 + pos*10 + c. */
function positions(kvH: number, from: number, S: number, hd: number): Float32Array {
  return Float32Array.from({ length: kvH * S * hd }, (_, k) => {
    const h = Math.floor(k / (S * hd)), p = from + Math.floor((k % (S * hd)) / hd), c = k % hd;
    return h * 10000 + p * 10 + c;
  });
}

test('appending keeps [kvH, P, hd] order across steps and growth', () => {
  const kvH = 3, hd = 4;
  const cache = new KvCache(2, kvH, hd);
  assert.equal(cache.view(0).positions, 0);
  assert.equal(cache.view(0).data.length, 0);
  let P = 0;
  for (const S of [5, 1, 1, 60, 1, 200]) { // 268 positions: past the 64- and 128-position allocations
    cache.append(0, positions(kvH, P, S, hd), S);
    cache.append(1, positions(kvH, P, S, hd).map((v) => -v), S);
    P += S;
    const { data, positions: got } = cache.view(0);
    assert.equal(got, P);
    assert.deepEqual(data, positions(kvH, 0, P, hd), `after ${P} positions`);
    assert.deepEqual(cache.view(1).data, positions(kvH, 0, P, hd).map((v) => -v));
  }
});

test('a block of the wrong size is refused', () => {
  const cache = new KvCache(1, 2, 4);
  assert.throws(() => cache.append(0, new Float32Array(7), 1), /7 values for 1 positions of 2 x 4/);
});
