// The messages between the chat page and its engine worker. The worker runs onnxruntime, so a
// graph run never holds up the page, nor, in code-server, the workbench that shares its thread.
// A worker cannot fetch webview resource URIs (VS Code's webview service worker does not serve
// it), so the page fetches every file the engine reads and transfers the bytes.
import type { Manifest, RgbaImage } from '../../flamingo/index';
import type { BackendChoice, EngineState, ModelLocation, OrtBinaries } from '../../extension/protocol';

/** A prompt segment as sent to the worker: media either as frames or as an encoded media id. */
export type WireSegment =
  | { type: 'text' | 'answer'; text: string }
  | { type: 'image'; image: RgbaImage }
  | { type: 'video'; frames: RgbaImage[] }
  | { type: 'media'; media: number };

/** What a finished answer took, as the engine measured it (ms). */
export interface AnswerTimings { tokens: number; tokensPerSecond: number; encode: number; prefill: number; decode: number }

export type PageToWorker =
  /** Loads the model; onnxruntime's binaries are read (through the page) when first needed. */
  | { type: 'configure'; load: number; model: ModelLocation; backend: BackendChoice; ortBinaries: OrtBinaries }
  /** The answer to a `read`: the file's bytes, or why it could not be fetched. */
  | { type: 'file'; id: number; bytes?: Uint8Array; error?: string }
  /** Encodes one media item for later prompts; answered with its media id. */
  | { type: 'encode'; id: number; frames: RgbaImage[] }
  /** Streams one answer (`token` messages), then a `result` with its AnswerTimings. */
  | { type: 'generate'; id: number; segments: WireSegment[]; maxTokens: number; temperature: number }
  | { type: 'cancel'; id: number }
  /** Media ids no prompt will use again. */
  | { type: 'release'; media: number[] };

export type WorkerToPage =
  | { type: 'state'; load: number; engine: EngineState }
  /** A model is ready: after each `configure` and after a reload on WASM when the GPU device is lost. */
  | { type: 'loaded'; load: number; model: number; manifest: Manifest }
  | { type: 'log'; message: string }
  /** Asks the page for a file of the bundle. */
  | { type: 'read'; id: number; url: string }
  | { type: 'token'; id: number; text: string }
  | { type: 'result'; id: number; value?: unknown; error?: string; aborted?: boolean };
