// Choosing the next token from logits: greedy at temperature 0, otherwise temperature,
// top-k and top-p (nucleus) sampling with a seeded PRNG; a CTRL-style repetition penalty first.

export interface SamplingOptions {
  temperature: number;       // 0 = greedy (argmax)
  topK: number;              // 0 = no limit
  topP: number;              // 1 = no limit
  repetitionPenalty: number; // 1 = none; > 1 discourages tokens already in the context
}

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Divides positive logits and multiplies negative ones by `penalty` for every token seen (in place). */
export function applyRepetitionPenalty(logits: Float32Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of new Set(seen)) {
    const l = logits[id];
    logits[id] = l > 0 ? l / penalty : l * penalty;
  }
}

/** Index of the largest logit; the lowest index wins a tie. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** The candidate tokens and their probabilities after temperature, top-k and top-p. */
export function candidateDistribution(logits: Float32Array, opts: Pick<SamplingOptions, 'temperature' | 'topK' | 'topP'>): { ids: number[]; probs: number[] } {
  let ids = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
  if (opts.topK > 0) ids = ids.slice(0, opts.topK);
  const max = logits[ids[0]];
  let probs = ids.map((id) => Math.exp((logits[id] - max) / opts.temperature));
  let sum = probs.reduce((a, b) => a + b, 0);
  probs = probs.map((p) => p / sum);
  if (opts.topP < 1) {
    let keep = 0, cumulative = 0;
    while (keep < probs.length && cumulative < opts.topP) cumulative += probs[keep++];
    ids = ids.slice(0, Math.max(1, keep));
    probs = probs.slice(0, ids.length);
    sum = probs.reduce((a, b) => a + b, 0);
    probs = probs.map((p) => p / sum);
  }
  return { ids, probs };
}

/** Picks the next token. `logits` is modified (repetition penalty). */
export function sampleToken(logits: Float32Array, opts: SamplingOptions, seen: readonly number[], random: () => number): number {
  applyRepetitionPenalty(logits, seen, opts.repetitionPenalty);
  if (opts.temperature <= 0) return argmax(logits);
  const { ids, probs } = candidateDistribution(logits, opts);
  let r = random();
  for (let i = 0; i < ids.length; i++) {
    r -= probs[i];
    if (r < 0) return ids[i];
  }
  return ids[ids.length - 1];
}
