// The typed protocol between the extension host and the chat webview (which hosts the engine).
// Shared by both sides, so it imports nothing. Every answer belongs to a request id; the webview
// runs requests one at a time in arrival order, so streams never interleave.

/** An image, GIF or recording as it was pasted or read from disk; the webview decodes it. */
export interface MediaBytes { name: string; bytes: Uint8Array }

export interface GenerationSettings { maxTokens: number; temperature: number }

export type BackendChoice = 'auto' | 'webgpu' | 'wasm';

/** Where the webview finds the model: a webview URI of the bundle folder (ends with '/'). */
export interface ModelLocation { baseUri: string; label: string }

/**
 * Webview URIs of what the webview's engine worker needs: its script (dist/engine-worker.js) and
 * the WebAssembly binaries of onnxruntime-web's two builds in it (their JS glue is bundled into
 * the script): the WebGPU build's, and the smaller WASM-only build's, used when no WebGPU is.
 */
export interface EngineFiles { workerScript: string; ortBinaries: OrtBinaries }
export interface OrtBinaries { webgpu: string; wasm: string }

export interface RequestTimings {
  /** From the moment the webview received the request to the first streamed token. */
  firstTokenMs: number;
  tokens: number;
  /** Decoding speed after the first token. */
  tokensPerSecond: number;
  /** Per-stage times reported by the engine (decode, vision, resampler, prefill, ...), in ms. */
  stages: Record<string, number>;
}

export type HostToWebview =
  | { type: 'configure'; model: ModelLocation; engineFiles: EngineFiles; backend: BackendChoice; settings: GenerationSettings }
  /** One turn: the media, then the prompt, filled into the model's prompt template. */
  | { type: 'request'; id: string; media: MediaBytes[]; prompt: string; settings: GenerationSettings }
  | { type: 'cancel'; id: string }
  | { type: 'pasteHint' };

export type EngineState =
  | { state: 'idle' }
  | { state: 'loading'; model: string; loadedBytes: number; totalBytes: number }
  | { state: 'ready'; model: string; backend: 'webgpu' | 'wasm'; detail: string }
  | { state: 'failed'; model: string; message: string };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'engine'; engine: EngineState }
  | { type: 'token'; id: string; text: string }
  | { type: 'done'; id: string; timings: RequestTimings; cancelled: boolean }
  | { type: 'error'; id: string; message: string }
  | { type: 'log'; message: string }
  | { type: 'insertAnswer'; text: string }
  | { type: 'copyAnswer'; text: string };
