// The decoder's KV cache kept by the runtime when the decoder runs on the CPU (WASM, Node).
// Each step fetches only new_key|value.{i} [1, kvH, S, hd] and appends them here; the next
// step's past_key|value.{i} [1, kvH, P, hd] is a view of a buffer that lives as long as the
// request. Fetching present_key|value (the whole cache, again every step) instead made each
// step copy the cache out of the WASM heap into freshly allocated arrays: in Chromium that
// cost grew to 4-6 ms per MB on these machines (bench/README.md, "Decode growth").
//
// Layout [kvH, P, hd] per layer and kind, as the decoder takes it. Appending S positions
// rewrites every head's block one slot further on, so each step writes the cache once, into
// the other of two buffers (the one just fed may still be read by the runtime's copy).

export interface KvBlock {
  data: Float32Array; // [kvH, P, hd], exactly P positions
  positions: number;
}

export class KvCache {
  private readonly blocks: { front: Float32Array; back: Float32Array; positions: number }[];

  constructor(entries: number, private readonly kvHeads: number, private readonly headDim: number) {
    this.blocks = Array.from({ length: entries }, () => ({ front: new Float32Array(0), back: new Float32Array(0), positions: 0 }));
  }

  get positions(): number { return this.blocks[0]?.positions ?? 0; }

  /** Entry e's cache as [kvH, P, hd] (a view; valid until the next append). */
  view(e: number): KvBlock {
    const b = this.blocks[e];
    return { data: b.front.subarray(0, this.kvHeads * b.positions * this.headDim), positions: b.positions };
  }

  /** Appends S new positions to entry e: added is [kvH, S, hd]. */
  append(e: number, added: Float32Array, S: number): void {
    const { kvHeads: kvH, headDim: hd } = this;
    if (added.length !== kvH * S * hd) throw new Error(`kv cache: ${added.length} values for ${S} positions of ${kvH} x ${hd}`);
    const b = this.blocks[e];
    const P = b.positions, T = P + S;
    if (b.back.length < kvH * T * hd) b.back = new Float32Array(kvH * capacity(T) * hd); // doubling: few fresh allocations
    for (let h = 0; h < kvH; h++) {
      b.back.set(b.front.subarray(h * P * hd, (h + 1) * P * hd), h * T * hd);
      b.back.set(added.subarray(h * S * hd, (h + 1) * S * hd), (h * T + P) * hd);
    }
    [b.front, b.back] = [b.back, b.front];
    b.positions = T;
  }
}

/** Positions to allocate for T: the next power of two, at least 64. */
function capacity(T: number): number {
  let c = 64;
  while (c < T) c *= 2;
  return c;
}
