// The decoder's mask inputs (docs/model-spec.md, sections 4-5), for a batch of one.
// A step feeds S new tokens after `past` cached ones (T = past + S); the prompt shows
// `mediaCount` media items of `latents` visual tokens each (V = mediaCount * latents,
// or one all-zero item when the prompt has none).

export const MASKED = -1e9;

/** attention_bias [1, 1, S, T]: new token j (position past + j) sees keys 0..past + j. */
export function attentionBias(past: number, newTokens: number): Float32Array {
  const total = past + newTokens;
  const bias = new Float32Array(newTokens * total);
  for (let j = 0; j < newTokens; j++) bias.fill(MASKED, j * total + past + j + 1, (j + 1) * total);
  return bias;
}

/** Number of visual tokens V the decoder sees: one zero item stands in when there is no media. */
export function visualTokens(mediaCount: number, latents: number): number {
  return Math.max(1, mediaCount) * latents;
}

/**
 * media_bias [1, 1, S, V]: 0 where the visual token belongs to the token's own media item
 * (1-based id), -1e9 elsewhere; a token with media id 0 is masked everywhere (its output is
 * then zeroed by media_gate).
 */
export function mediaBias(mediaIds: readonly number[], mediaCount: number, latents: number): Float32Array {
  const v = visualTokens(mediaCount, latents);
  const bias = new Float32Array(mediaIds.length * v).fill(MASKED);
  mediaIds.forEach((id, j) => {
    if (id < 0 || id > mediaCount) throw new Error(`masks: token ${j} has media id ${id}, but the prompt has ${mediaCount} media items`);
    if (id > 0) bias.fill(0, j * v + (id - 1) * latents, j * v + id * latents);
  });
  return bias;
}

/** media_gate [1, S, 1]: 1 for tokens with an image at or before them, 0 otherwise. */
export function mediaGate(mediaIds: readonly number[]): Float32Array {
  return Float32Array.from(mediaIds, (id) => (id > 0 ? 1 : 0));
}
