// The engine worker's entry: runs WebviewEngine on the page's messages (./protocol.ts). It
// keeps the media the chat has encoded, by id, until another model is loaded.
import type { MediaHandle, PromptSegment } from '../../flamingo/index';
import { WebviewEngine } from './engine';
import type { PageToWorker, WireSegment, WorkerToPage } from './protocol';

const post = (m: WorkerToPage) => self.postMessage(m);

/** Files the engine asked the page for, by request id. */
const reads = new Map<number, { resolve(bytes: Uint8Array): void; reject(e: Error): void }>();
let readCount = 0;
/** Answers in progress, by request id. */
const aborts = new Map<number, AbortController>();
/**
 * Encoded media, by id; all dropped when a model is loaded (jobs run in order, so every entry
 * then belongs to the model it replaces).
 */
const media = new Map<number, MediaHandle>();
/** Numbers the loaded models, so that the page can tell when its encoded media went stale. */
let modelsLoaded = 0;

const engine = new WebviewEngine({
  report: (engine, config) => post({ type: 'state', load: config.load, engine }),
  loaded: (model, config) => {
    media.clear();
    post({ type: 'loaded', load: config.load, model: ++modelsLoaded, manifest: model.manifest });
  },
  log: (message) => post({ type: 'log', message }),
  fetchBytes: (url) => new Promise((resolve, reject) => {
    const id = ++readCount;
    reads.set(id, { resolve, reject });
    post({ type: 'read', id, url });
  }),
});

self.onmessage = (e: MessageEvent<PageToWorker>) => {
  const msg = e.data;
  switch (msg.type) {
    case 'configure':
      engine.configure({ load: msg.load, model: msg.model, backend: msg.backend, ortBinaries: msg.ortBinaries });
      break;
    case 'file': {
      const read = reads.get(msg.id);
      reads.delete(msg.id);
      if (msg.bytes) read?.resolve(msg.bytes);
      else read?.reject(new Error(msg.error ?? 'no bytes'));
      break;
    }
    case 'encode':
      answer(msg.id, engine.run(async (model) => {
        media.set(msg.id, await model.encodeMedia(msg.frames));
        return msg.id;
      }));
      break;
    case 'generate': {
      const abort = new AbortController();
      aborts.set(msg.id, abort);
      answer(msg.id, engine.run((model) => {
        abort.signal.throwIfAborted();
        return engine.generate(model, msg.segments.map(segment), {
          maxTokens: msg.maxTokens, temperature: msg.temperature, signal: abort.signal,
          onToken: (text) => post({ type: 'token', id: msg.id, text }),
        });
      }).finally(() => aborts.delete(msg.id)), abort.signal);
      break;
    }
    case 'cancel':
      aborts.get(msg.id)?.abort();
      break;
    case 'release':
      for (const id of msg.media) media.delete(id);
      break;
  }
};

function segment(s: WireSegment): PromptSegment {
  if (s.type !== 'media') return s;
  const handle = media.get(s.media);
  if (!handle) throw new Error('an image of this conversation was encoded by a model that has since been replaced; start a new chat');
  return { type: 'image', image: handle };
}

function answer(id: number, result: Promise<unknown>, signal?: AbortSignal): void {
  result.then(
    (value) => post({ type: 'result', id, value }),
    (e) => post({ type: 'result', id, aborted: signal?.aborted ?? false, error: (e as Error).message || String(e) }),
  );
}
