// What the browser and Node both run, so their tokens can be compared: a prompt described by
// plain data (PNG names instead of pixels, decoded by each side its own way), greedy decoding,
// and cancellation. Environment-free, like src/flamingo.
import type { FlamingoModel, PreparedPrompt, RgbaImage, Timings } from '../../../src/flamingo';

export type SegmentSpec = { type: 'text' | 'answer'; text: string } | { type: 'image'; png: string };

/**
 * `segments`: an interleaved prompt, tokenised as the product does.
 * `bosImage`: BOS alone, carrying this image (the tokens a zero-gated model must leave unchanged).
 */
export type PromptSpec = { segments: SegmentSpec[] } | { bosImage: string };

/** Decodes a PNG, by name, to RGBA. */
export type DecodePng = (png: string) => Promise<RgbaImage>;

export interface GreedyResult {
  tokens: number[];
  timings: Timings;
}

export async function preparePrompt(model: FlamingoModel, spec: PromptSpec, decode: DecodePng): Promise<PreparedPrompt> {
  if ('bosImage' in spec) {
    const handle = await model.encodeMedia([await decode(spec.bosImage)]);
    return { ids: [model.manifest.tokens.bos], mediaIds: [1], media: [handle] };
  }
  const segments = [];
  for (const s of spec.segments) segments.push(s.type === 'image' ? { type: 'image' as const, image: await decode(s.png) } : s);
  return model.preparePrompt(segments);
}

export async function greedy(model: FlamingoModel, spec: PromptSpec, decode: DecodePng, maxTokens: number): Promise<GreedyResult> {
  const prepared = await preparePrompt(model, spec, decode);
  let timings: Timings | undefined;
  const tokens: number[] = [];
  for await (const id of model.generateTokens(prepared, { temperature: 0, maxTokens, onTimings: (t) => { timings = t; } })) tokens.push(id);
  if (!timings) throw new Error('generateTokens reported no timings');
  return { tokens, timings };
}

export interface CancelResult {
  /** Tokens received before the generator threw. */
  seen: number;
  /** The name of what generation threw with the signal aborted after `abortAfter` tokens ('none' if it did not throw). */
  abortedMidway: string;
  /** The same with a signal aborted before generation starts. */
  abortedBefore: string;
}

/** Aborts after `abortAfter` tokens, then once with an already aborted signal. */
export async function cancel(model: FlamingoModel, spec: PromptSpec, decode: DecodePng, abortAfter: number): Promise<CancelResult> {
  const prepared = await preparePrompt(model, spec, decode);
  const controller = new AbortController();
  let seen = 0;
  const abortedMidway = await thrownName(async () => {
    for await (const _ of model.generateTokens(prepared, { temperature: 0, maxTokens: abortAfter + 8, signal: controller.signal })) {
      if (++seen === abortAfter) controller.abort();
    }
  });
  const abortedBefore = await thrownName(async () => {
    for await (const _ of model.generateTokens(prepared, { temperature: 0, maxTokens: 4, signal: AbortSignal.abort() })) { /* never reached */ }
  });
  return { seen, abortedMidway, abortedBefore };
}

async function thrownName(run: () => Promise<void>): Promise<string> {
  try {
    await run();
    return 'none';
  } catch (e) {
    return (e as Error).name ?? String(e);
  }
}
