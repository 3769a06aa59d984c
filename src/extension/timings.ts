// One line of timings for the "Flamingo" output channel (used by the host and the webview).
import type { RequestTimings } from './protocol';

export function formatTimings(t: RequestTimings): string {
  const stages = Object.entries(t.stages).map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ');
  return `first token ${Math.round(t.firstTokenMs)} ms, ${t.tokens} tokens, ${t.tokensPerSecond.toFixed(1)} tokens/s (${stages})`;
}
