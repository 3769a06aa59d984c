// The chat panel's multi-turn, interleaved context: turns of media and text, each followed by
// the model's answer or by an example answer the person wrote (few-shot). Media are decoded
// here and encoded once per model by the engine worker, which keeps them for every later turn.
import { applyTemplate, taskPrompt, type RgbaImage } from '../flamingo/index';
import type { Attachment } from './chatView';
import type { LoadedModel } from './engineWorker';
import { decodeMedia, type FrameSampling } from './mediaDecode';
import type { WireSegment } from './worker/protocol';

/** Told when a GIF or recording was decoded: how many frames were taken from it. */
export type FramesTaken = (a: Attachment, frames: number, sampling: FrameSampling) => void;

/** Encodes media in the engine: resolves to the media id later prompts refer to. */
export interface MediaEncoder { encodeMedia(frames: RgbaImage[]): Promise<number> }

interface Turn { media: Attachment[]; prompt: string; answer: string }

export class Conversation {
  private turns: Turn[] = [];
  /** Media ids of the attachments encoded by `modelId`. */
  private encoded = new Map<Attachment, number>();
  private modelId: number | undefined;

  /** Forgets every turn; returns the media ids the engine may drop. */
  clear(): number[] {
    const ids = [...this.encoded.values()];
    this.turns = [];
    this.encoded.clear();
    return ids;
  }

  addExample(media: Attachment[], answer: string): void {
    this.turns.push({ media, prompt: '', answer });
  }

  /**
   * The prompt for a new question after every earlier turn. Decodes and encodes media not seen
   * yet; a media error leaves the conversation as it was.
   * @param onFrames told of every GIF or recording decoded now
   * @returns the segments and the time spent decoding media (ms)
   */
  async prompt(model: LoadedModel, engine: MediaEncoder, media: Attachment[], question: string, onFrames: FramesTaken): Promise<{ segments: WireSegment[]; asked: string; decodeMs: number }> {
    if (model.id !== this.modelId) { this.encoded.clear(); this.modelId = model.id; } // a new model dropped the old ids
    let decodeMs = 0;
    const handle = async (a: Attachment): Promise<WireSegment> => {
      let id = this.encoded.get(a);
      if (id === undefined) {
        const start = performance.now();
        const { preprocess } = model.manifest;
        const sampling = { fps: preprocess.video_fps, maxFrames: preprocess.max_frames };
        const decoded = await decodeMedia(a.bytes, a.name, sampling);
        decodeMs += performance.now() - start;
        if (decoded.kind === 'video') onFrames(a, decoded.frames.length, sampling);
        id = await engine.encodeMedia(decoded.frames);
        this.encoded.set(a, id);
      }
      return { type: 'media', media: id };
    };
    const template = model.manifest.generation.prompt;
    const segments: WireSegment[] = [];
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
