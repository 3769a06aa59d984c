// The chat panel's multi-turn, interleaved context: turns of media and text, each followed by
// the model's answer or by an example answer the person wrote (few-shot). Media are decoded
// and encoded once per model and reused in every later turn.
import { applyTemplate, type FlamingoModel, type MediaHandle, type PromptSegment } from '../flamingo/index';
import type { Attachment } from './chatView';
import { decodeMedia } from './mediaDecode';

interface Turn { media: Attachment[]; prompt: string; answer: string }

export class Conversation {
  private turns: Turn[] = [];
  private encoded = new WeakMap<Attachment, MediaHandle>();
  private model: FlamingoModel | undefined;

  clear(): void { this.turns = []; }

  addExample(media: Attachment[], answer: string): void {
    this.turns.push({ media, prompt: '', answer });
  }

  /**
   * The prompt for a new question after every earlier turn. Decodes and encodes media not seen
   * yet; a media error leaves the conversation as it was.
   * @returns the segments and the time spent decoding media (ms)
   */
  async prompt(model: FlamingoModel, media: Attachment[], question: string): Promise<{ segments: PromptSegment[]; decodeMs: number }> {
    if (model !== this.model) { this.encoded = new WeakMap(); this.model = model; }
    let decodeMs = 0;
    const handle = async (a: Attachment): Promise<PromptSegment> => {
      let h = this.encoded.get(a);
      if (!h) {
        const start = performance.now();
        const { preprocess } = model.manifest;
        const decoded = await decodeMedia(a.bytes, a.name, { fps: preprocess.video_fps, maxFrames: preprocess.max_frames });
        decodeMs += performance.now() - start;
        h = await model.encodeMedia(decoded.frames);
        this.encoded.set(a, h);
      }
      return { type: 'image', image: h };
    };
    const template = model.manifest.generation.prompt;
    const segments: PromptSegment[] = [];
    for (const t of this.turns) {
      segments.push(...applyTemplate(template, await Promise.all(t.media.map(handle)), t.prompt), { type: 'answer', text: t.answer });
    }
    segments.push(...applyTemplate(template, await Promise.all(media.map(handle)), question));
    return { segments, decodeMs };
  }

  /** Records a finished (or stopped) answer so later turns see it. */
  record(media: Attachment[], question: string, answer: string): void {
    this.turns.push({ media, prompt: question, answer });
  }
}
