// The chat panel's multi-turn, interleaved context: turns of media and text, each followed by
// the model's answer or by an example answer the person wrote (few-shot). Media are decoded
// and encoded once per model and reused in every later turn.
import { applyTemplate, taskPrompt, type FlamingoModel, type MediaHandle, type PromptSegment } from '../flamingo/index';
import type { Attachment } from './chatView';
import { decodeMedia, type FrameSampling } from './mediaDecode';

/** Told when a GIF or recording was decoded: how many frames were taken from it. */
export type FramesTaken = (a: Attachment, frames: number, sampling: FrameSampling) => void;

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
   * @param onFrames told of every GIF or recording decoded now
   * @returns the segments and the time spent decoding media (ms)
   */
  async prompt(model: FlamingoModel, media: Attachment[], question: string, onFrames: FramesTaken): Promise<{ segments: PromptSegment[]; asked: string; decodeMs: number }> {
    if (model !== this.model) { this.encoded = new WeakMap(); this.model = model; }
    let decodeMs = 0;
    const handle = async (a: Attachment): Promise<PromptSegment> => {
      let h = this.encoded.get(a);
      if (!h) {
        const start = performance.now();
        const { preprocess } = model.manifest;
        const sampling = { fps: preprocess.video_fps, maxFrames: preprocess.max_frames };
        const decoded = await decodeMedia(a.bytes, a.name, sampling);
        decodeMs += performance.now() - start;
        if (decoded.kind === 'video') onFrames(a, decoded.frames.length, sampling);
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
    // After examples (turns without a prompt), an empty question follows their form.
    const followsExamples = !question.trim() && this.turns.some((t) => t.prompt === '');
    const asked = followsExamples ? '' : taskPrompt(model.manifest.generation.prompts, question);
    segments.push(...applyTemplate(template, await Promise.all(media.map(handle)), asked));
    return { segments, asked, decodeMs };
  }

  /** Records a finished (or stopped) answer so later turns see it. */
  record(media: Attachment[], question: string, answer: string): void {
    this.turns.push({ media, prompt: question, answer });
  }
}
