// The webview's entry: connects the engine worker, the chat panel and the extension host
// protocol. Media are decoded here (the worker has no <video>), in the order requests arrive.
import { applyTemplate } from '../flamingo/index';
import type { EngineState, GenerationSettings, HostToWebview, RequestTimings, WebviewToHost } from '../extension/protocol';
import { formatTimings } from '../extension/timings';
import { ChatView, type Attachment } from './chatView';
import { Conversation } from './conversation';
import { EngineWorker } from './engineWorker';
import { decodeMedia } from './mediaDecode';
import type { AnswerTimings, WireSegment } from './worker/protocol';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };
const vscode = acquireVsCodeApi();
const post = (m: WebviewToHost) => vscode.postMessage(m);
const log = (message: string) => post({ type: 'log', message });

let settings: GenerationSettings = { maxTokens: 128, temperature: 0 };
const hostRequests = new Map<string, AbortController>();
const conversation = new Conversation();
let chatAbort: AbortController | undefined;
let chatCount = 0;

const engine = new EngineWorker({ state: (state) => { post({ type: 'engine', engine: state }); showEngine(state); }, log });

/**
 * Runs `prepare` (decoding media, sending the request to the worker) after every earlier one,
 * so that the worker gets requests in the order they came. Answers are not waited for: the
 * next request's media decode while the worker answers.
 */
let intake: Promise<unknown> = Promise.resolve();
function inArrivalOrder<T>(prepare: () => Promise<T>): Promise<T> {
  const prepared = intake.then(prepare);
  intake = prepared.catch(() => undefined);
  return prepared;
}

const chat = new ChatView(document.getElementById('app')!, {
  ask: (text, attachments) => void ask(text, attachments),
  addExample: (answer, attachments) => {
    conversation.addExample(attachments, answer);
    chat.showTurn(answer, attachments, true);
  },
  stop: () => chatAbort?.abort(),
  newChat: () => { chatAbort?.abort(); engine.release(conversation.clear()); },
  copy: (text) => post({ type: 'copyAnswer', text }),
  insert: (text) => post({ type: 'insertAnswer', text }),
});

window.addEventListener('message', (e: MessageEvent<HostToWebview>) => {
  const msg = e.data;
  switch (msg.type) {
    case 'configure':
      settings = msg.settings;
      chat.showModel(msg.model.label);
      engine.configure({ model: msg.model, backend: msg.backend, files: msg.engineFiles });
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
  let firstToken: number | undefined;
  const abort = new AbortController();
  hostRequests.set(msg.id, abort);
  try {
    const { answer, decodeMs } = await inArrivalOrder(async () => {
      const model = await engine.loaded();
      abort.signal.throwIfAborted();
      const start = performance.now();
      const { preprocess } = model.manifest;
      const media: WireSegment[] = [];
      for (const m of msg.media) {
        const d = await decodeMedia(m.bytes, m.name, { fps: preprocess.video_fps, maxFrames: preprocess.max_frames });
        media.push(d.kind === 'video' ? { type: 'video', frames: d.frames } : { type: 'image', image: d.frames[0] });
      }
      const segments = applyTemplate(model.manifest.generation.prompt, media, msg.prompt);
      const decodeMs = performance.now() - start;
      return {
        decodeMs,
        answer: engine.generate(segments, {
          ...msg.settings, signal: abort.signal,
          onToken: (text) => { firstToken ??= performance.now(); post({ type: 'token', id: msg.id, text }); },
        }),
      };
    });
    post({ type: 'done', id: msg.id, timings: requestTimings(await answer, receivedAt, firstToken, decodeMs), cancelled: false });
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
  let firstToken: number | undefined;
  const abort = new AbortController();
  chatAbort = abort;
  chat.showTurn(question, attachments, false);
  const bubble = chat.startAnswer();
  chat.setBusy(true);
  let answer = '';
  let asked = question;
  const id = `chat${++chatCount}`;
  try {
    const sent = await inArrivalOrder(async () => {
      const model = await engine.loaded();
      const prompt = await conversation.prompt(model, engine, attachments, question, (a, frames, sampling) => chat.showFrames(a, frames, sampling));
      asked = prompt.asked;
      return {
        decodeMs: prompt.decodeMs,
        answer: engine.generate(prompt.segments, {
          ...settings, signal: abort.signal,
          onToken: (t) => { firstToken ??= performance.now(); answer += t; bubble.append(t); },
        }),
      };
    });
    const timings = requestTimings(await sent.answer, receivedAt, firstToken, sent.decodeMs);
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

/** The timings of one answer as the host shows them; the time to first token is the page's own. */
function requestTimings(t: AnswerTimings, receivedAt: number, firstToken: number | undefined, decodeMs: number): RequestTimings {
  return {
    firstTokenMs: (firstToken ?? performance.now()) - receivedAt,
    tokens: t.tokens,
    tokensPerSecond: t.tokensPerSecond,
    stages: { decodeMedia: decodeMs, encode: t.encode, prefill: t.prefill, decode: t.decode },
  };
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
