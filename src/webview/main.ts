// The webview's entry: connects the engine, the chat panel and the extension host protocol.
import { applyTemplate, type PromptSegment } from '../flamingo/index';
import type { EngineState, GenerationSettings, HostToWebview, RequestTimings, WebviewToHost } from '../extension/protocol';
import { formatTimings } from '../extension/timings';
import { ChatView, type Attachment } from './chatView';
import { Conversation } from './conversation';
import { WebviewEngine } from './engine';
import { decodeMedia } from './mediaDecode';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };
const vscode = acquireVsCodeApi();
const post = (m: WebviewToHost) => vscode.postMessage(m);
const log = (message: string) => post({ type: 'log', message });

let settings: GenerationSettings = { maxTokens: 128, temperature: 0 };
const hostRequests = new Map<string, AbortController>();
const conversation = new Conversation();
let chatAbort: AbortController | undefined;
let chatCount = 0;

const engine = new WebviewEngine((state) => { post({ type: 'engine', engine: state }); showEngine(state); }, log);

const chat = new ChatView(document.getElementById('app')!, {
  ask: (text, attachments) => void ask(text, attachments),
  addExample: (answer, attachments) => {
    conversation.addExample(attachments, answer);
    chat.showTurn(answer, attachments, true);
  },
  stop: () => chatAbort?.abort(),
  newChat: () => { chatAbort?.abort(); conversation.clear(); },
  copy: (text) => post({ type: 'copyAnswer', text }),
  insert: (text) => post({ type: 'insertAnswer', text }),
});

window.addEventListener('message', (e: MessageEvent<HostToWebview>) => {
  const msg = e.data;
  switch (msg.type) {
    case 'configure':
      settings = msg.settings;
      chat.showModel(msg.model.label);
      engine.configure({ model: msg.model, ortWasm: msg.ortWasm, backend: msg.backend });
      break;
    case 'request':
      void answerHostRequest(msg);
      break;
    case 'cancel':
      log(`request ${msg.id}: ${hostRequests.has(msg.id) ? 'cancelled' : 'cancel arrived after it finished'}`);
      hostRequests.get(msg.id)?.abort();
      break;
    case 'pasteHint':
      promptForPaste();
      break;
  }
});
post({ type: 'ready' });

function showEngine(s: EngineState): void {
  switch (s.state) {
    case 'loading': {
      const fraction = s.totalBytes ? s.loadedBytes / s.totalBytes : 0;
      chat.showProgress(fraction, `Loading ${s.model}… ${Math.round(fraction * 100)}%`);
      chat.showBackend('…', 'Loading');
      break;
    }
    case 'ready':
      chat.showModel(s.model);
      chat.showBackend(s.backend === 'webgpu' ? 'WebGPU' : 'WASM', s.detail);
      chat.showProgress(undefined, '');
      break;
    case 'failed':
      chat.showBackend('no model', s.message);
      chat.showProgress(undefined, `The model could not be loaded: ${s.message}`);
      break;
    case 'idle':
      break;
  }
}

/** A request from the extension host (paste, commands): one turn, streamed back by id. */
async function answerHostRequest(msg: Extract<HostToWebview, { type: 'request' }>): Promise<void> {
  const receivedAt = performance.now();
  const abort = new AbortController();
  hostRequests.set(msg.id, abort);
  try {
    const timings = await engine.run(async (model) => {
      abort.signal.throwIfAborted();
      const start = performance.now();
      const { preprocess } = model.manifest;
      const media: PromptSegment[] = [];
      for (const m of msg.media) {
        const d = await decodeMedia(m.bytes, m.name, { fps: preprocess.video_fps, maxFrames: preprocess.max_frames });
        media.push(d.kind === 'video' ? { type: 'video', frames: d.frames } : { type: 'image', image: d.frames[0] });
      }
      const segments = applyTemplate(model.manifest.generation.prompt, media, msg.prompt);
      return engine.generate(model, segments, {
        ...msg.settings, signal: abort.signal, onToken: (text) => post({ type: 'token', id: msg.id, text }),
      }, receivedAt, performance.now() - start);
    });
    post({ type: 'done', id: msg.id, timings, cancelled: false });
  } catch (e) {
    if (abort.signal.aborted) post({ type: 'done', id: msg.id, timings: noTimings(), cancelled: true });
    else post({ type: 'error', id: msg.id, message: (e as Error).message || String(e) });
  } finally {
    hostRequests.delete(msg.id);
  }
}

/** A question typed in the panel, after the whole conversation so far. */
async function ask(question: string, attachments: Attachment[]): Promise<void> {
  const receivedAt = performance.now();
  const abort = new AbortController();
  chatAbort = abort;
  chat.showTurn(question, attachments, false);
  const bubble = chat.startAnswer();
  chat.setBusy(true);
  let answer = '';
  let asked = question;
  const id = `chat${++chatCount}`;
  try {
    const timings = await engine.run(async (model) => {
      const prompt = await conversation.prompt(model, attachments, question, (a, frames, sampling) => chat.showFrames(a, frames, sampling));
      asked = prompt.asked;
      return engine.generate(model, prompt.segments, {
        ...settings, signal: abort.signal, onToken: (t) => { answer += t; bubble.append(t); },
      }, receivedAt, prompt.decodeMs);
    });
    conversation.record(attachments, asked, answer);
    bubble.finish(`${timings.tokens} tokens, ${timings.tokensPerSecond.toFixed(1)} tokens/s`);
    log(`chat ${id}: ${formatTimings(timings)}`);
  } catch (e) {
    if (abort.signal.aborted) {
      conversation.record(attachments, asked, answer);
      bubble.finish('Stopped');
      log(`chat ${id}: stopped after ${answer.length} characters`);
    } else {
      bubble.fail((e as Error).message || String(e));
    }
  } finally {
    if (chatAbort === abort) chatAbort = undefined;
    chat.setBusy(false);
    chat.focusInput();
  }
}

/**
 * "Explain Screenshot… > Clipboard": a webview may not read the clipboard on its own, so the
 * panel takes the person's paste.
 */
function promptForPaste(): void {
  chat.focusInput();
  chat.notice('Paste the screenshot here (Ctrl+V), then ask about it: for example "Explain this screenshot."');
}

function noTimings(): RequestTimings {
  return { firstTokenMs: 0, tokens: 0, tokensPerSecond: 0, stages: {} };
}
