// Encoded media items and the decoder's visual keys and values built from them.
// The resampler projects each item's latents to the cross-attention keys and values of every
// gated layer once (docs/model-spec.md, section 3); a prompt concatenates them over its items.

/** One encoded image or recording: reuse it across prompts and turns that show it. */
export class MediaHandle {
  constructor(
    readonly frames: number,
    readonly latents: Float32Array,                // [N, Dv]
    readonly keys: ReadonlyMap<number, Float32Array>,   // gated layer i -> [xH, N, xhd]
    readonly values: ReadonlyMap<number, Float32Array>, // gated layer i -> [xH, N, xhd]
    readonly encodeMs: number,
  ) {}
}

/**
 * Concatenates per-item [xH, N, xhd] blocks over the prompt's items into [1, xH, M*N, xhd]
 * (item-major within each head, so visual token v belongs to item floor(v / N)).
 * With no items, one all-zero item stands in (the decoder masks it out).
 */
export function concatMedia(blocks: readonly Float32Array[], heads: number, latents: number, headDim: number): Float32Array {
  const items = Math.max(1, blocks.length);
  const per = latents * headDim;
  const out = new Float32Array(heads * items * per);
  blocks.forEach((block, m) => {
    if (block.length !== heads * per) throw new Error(`media: item ${m + 1} has ${block.length} values, expected ${heads * per}`);
    for (let h = 0; h < heads; h++) out.set(block.subarray(h * per, (h + 1) * per), (h * items + m) * per);
  });
  return out;
}
