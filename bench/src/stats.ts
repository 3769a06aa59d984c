// Timing statistics: every figure is the median of several runs after a warm-up, with min and max.

export interface Sample { median: number; min: number; max: number; n: number }

export function summarize(values: readonly number[]): Sample {
  if (values.length === 0) throw new Error('summarize: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

export interface Repetitions { warmup: number; reps: number }

/** Runs `fn` warmup + reps times; returns the summary of the timed runs in milliseconds. */
export async function timeIt(fn: () => unknown, r: Repetitions): Promise<Sample> {
  for (let i = 0; i < r.warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < r.reps; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return summarize(times);
}

/** Like timeIt, but `fn` reports its own duration (ms) and, for the last run, a result. */
export async function timeSelf<T>(fn: () => Promise<{ ms: number; result: T }>, r: Repetitions): Promise<{ sample: Sample; result: T }> {
  let result: T | undefined;
  for (let i = 0; i < r.warmup; i++) result = (await fn()).result;
  const times: number[] = [];
  for (let i = 0; i < r.reps; i++) {
    const run = await fn();
    times.push(run.ms);
    result = run.result;
  }
  return { sample: summarize(times), result: result as T };
}
