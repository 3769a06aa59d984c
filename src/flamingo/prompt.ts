// Interleaved prompts -> token ids and per-token media ids (docs/model-spec.md, section 4):
// BOS first; each media item becomes one <image> token; each previous answer is closed with
// <|endofchunk|>; every token carries the 1-based index of the last media item at or before
// it, 0 when there is none.
import type { SpecialTokens } from './manifest';

export type PromptPart = { type: 'text'; text: string } | { type: 'media' } | { type: 'answer'; text: string };

export interface PromptTokens {
  ids: number[];
  mediaIds: number[];
  mediaCount: number;
}

export function tokenizePrompt(parts: readonly PromptPart[], encode: (text: string) => number[], tokens: SpecialTokens): PromptTokens {
  const ids = [tokens.bos];
  const mediaIds = [0];
  let media = 0;
  const push = (id: number) => { ids.push(id); mediaIds.push(media); };
  for (const part of parts) {
    if (part.type === 'media') {
      media++;
      push(tokens.image);
      continue;
    }
    if (part.text) {
      const textIds = encode(part.text);
      if (textIds.includes(tokens.image)) {
        throw new Error('prompt: text contains the <image> token; pass images as image segments');
      }
      textIds.forEach(push);
    }
    if (part.type === 'answer') push(tokens.endofchunk);
  }
  return { ids, mediaIds, mediaCount: media };
}

/**
 * Fills a prompt template (manifest.generation.prompt): "<image>" marks where the media go
 * (all of them, in order, at its first occurrence; before the text if it has none) and
 * "{prompt}" where the person's text goes.
 */
export function applyTemplate<M>(template: string, media: readonly M[], prompt: string): Array<M | { type: 'text'; text: string }> {
  const out: Array<M | { type: 'text'; text: string }> = [];
  const imageAt = template.indexOf('<image>');
  const [before, after] = imageAt < 0 ? ['', template] : [template.slice(0, imageAt), template.slice(imageAt + '<image>'.length).replaceAll('<image>', '')];
  const text = (t: string) => { const filled = t.replaceAll('{prompt}', prompt); if (filled) out.push({ type: 'text', text: filled }); };
  text(before);
  out.push(...media);
  text(after);
  return out;
}

/**
 * What to ask for a person's text, given the task prompts the model was trained with
 * (manifest.generation.prompts): a small model answers well only in the forms it saw. Empty
 * text asks the "describe" prompt; a trained prompt, or text already in the question form, is
 * sent as is; any other text is asked through the "question" prompt ("Question: {question}").
 * Without trained prompts the text is sent exactly as typed.
 */
export function taskPrompt(prompts: Readonly<Record<string, string>> | undefined, text: string): string {
  if (!prompts) return text;
  const typed = text.trim();
  if (!typed) return prompts.describe ?? '';
  const question = prompts.question?.includes('{question}') ? prompts.question : undefined;
  const asIs = Object.values(prompts).filter((p) => p !== question);
  if (asIs.includes(typed) || !question) return typed;
  const prefix = question.slice(0, question.indexOf('{question}'));
  return prefix && typed.startsWith(prefix) ? typed : question.replaceAll('{question}', typed);
}
