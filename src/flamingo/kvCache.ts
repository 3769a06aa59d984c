// The decoder's KV cache kept by the runtime when the decoder runs on the CPU (WASM, Node).
// Each step fetches only new_key|value.{i} [1, kvH, S, hd] and appends them here; the next
// step's past_key|value.{i} [1, kvH, P, hd] is a view of a buffer that lives as long as the
// request. Fetching present_key|value (the whole cache, again every step) instead made each
// step copy the cache out of the WASM heap into freshly allocated arrays: in Chromium that
// cost 4.5-6.7 ms per MB on these machines (bench/README.md, "Decode growth").
//
// Layout [kvH, P, hd] per layer and kind, as the decoder takes it. Appending S positions moves
// every head's block S slots further on, in place (last head first, so nothing is overwritten
// before it is moved); the buffer grows by doubling, so fresh memory is rarely touched.

export interface KvBlock {
  data: Float32Array; // [kvH, P, hd], exactly P positions
  positions: number;
}

export class KvCache {
  private readonly blocks: { data: Float32Array; positions: number }[];

  constructor(entries: number, private readonly kvHeads: number, private readonly headDim: number) {
    this.blocks = Array.from({ length: entries }, () => ({ data: new Float32Array(0), positions: 0 }));
  }

  /** Entry e's cache as [kvH, P, hd] (a view; valid until the next append). */
  view(e: number): KvBlock {
    const b = this.blocks[e];
    return { data: b.data.subarray(0, this.kvHeads * b.positions * this.headDim), positions: b.positions };
  }

  /** Appends S new positions to entry e: added is [kvH, S, hd]. */
  append(e: number, added: Float32Array, S: number): void {
    const { kvHeads: kvH, headDim: hd } = this;
    if (added.length !== kvH * S * hd) throw new Error(`kv cache: ${added.length} values for ${S} positions of ${kvH} x ${hd}`);
    const b = this.blocks[e];
    const P = b.positions, T = P + S;
    if (b.data.length < kvH * T * hd) {
      const grown = new Float32Array(kvH * capacity(T) * hd);
      grown.set(b.data.subarray(0, kvH * P * hd));
      b.data = grown;
    }
    for (let h = kvH - 1; h >= 0; h--) {
      b.data.copyWithin(h * T * hd, h * P * hd, (h + 1) * P * hd); // head h's P positions, S slots per earlier head further on
      b.data.set(added.subarray(h * S * hd, (h + 1) * S * hd), (h * T + P) * hd);
    }
    b.positions = T;
  }
}

/** Positions to allocate for T: the next power of two, at least 64. */
function capacity(T: number): number {
  let c = 64;
  while (c < T) c *= 2;
  return c;
}
