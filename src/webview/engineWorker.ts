// The page's handle on the engine worker (./worker): starts it, fetches the files it asks for,
// and turns its messages into promises and token callbacks. Graph runs happen in the worker,
// so the panel, and in code-server the whole workbench (it shares the page's thread), stay
// responsive while the model loads and answers.
import type { Manifest, RgbaImage } from '../flamingo/index';
import type { BackendChoice, EngineFiles, EngineState, ModelLocation } from '../extension/protocol';
import type { AnswerTimings, PageToWorker, WireSegment, WorkerToPage } from './worker/protocol';

export interface EngineConfig { model: ModelLocation; backend: BackendChoice; files: EngineFiles }

/** The model the worker has loaded: `id` changes with every load (media encoded earlier are gone). */
export interface LoadedModel { id: number; manifest: Manifest }

export interface AnswerOptions {
  maxTokens: number;
  temperature: number;
  signal: AbortSignal;
  onToken(text: string): void;
}

interface Pending { resolve(value: unknown): void; reject(e: Error): void; onToken?(text: string): void }

export class EngineWorker {
  private worker: Promise<Worker> | undefined;
  private config: EngineConfig | undefined;
  /** The latest configuration's number and the model it loads. */
  private load = 0;
  private model: Promise<LoadedModel> | undefined;
  private settleModel: { resolve(m: LoadedModel): void; reject(e: Error): void } | undefined;
  private readonly pending = new Map<number, Pending>();
  private requests = 0;

  constructor(private readonly on: { state(s: EngineState): void; log(line: string): void }) {}

  /** Loads the model when its location or backend changed, or when the worker stopped. */
  configure(config: EngineConfig): void {
    const same = this.config && this.config.model.baseUri === config.model.baseUri && this.config.backend === config.backend;
    this.config = config;
    if (same && this.worker) return;
    const load = ++this.load;
    this.model = new Promise((resolve, reject) => { this.settleModel = { resolve, reject }; });
    this.model.catch(() => undefined); // requests see it
    this.worker ??= this.start(config.files);
    this.worker.then(
      (w) => this.send(w, { type: 'configure', load, model: config.model, backend: config.backend, ortBinaries: config.files.ortBinaries }),
      (e: Error) => this.failLoad(load, e.message),
    );
  }

  /** The loaded model, once it is (rejects when its load failed). */
  loaded(): Promise<LoadedModel> {
    if (this.config && !this.worker) this.configure(this.config); // the worker stopped: start another
    return this.model ?? Promise.reject(new Error('no model is configured yet'));
  }

  /** Encodes one media item, after every request sent before; resolves to its media id. */
  encodeMedia(frames: RgbaImage[]): Promise<number> {
    return this.request((id) => ({ type: 'encode', id, frames }), frames) as Promise<number>;
  }

  /** Streams one answer, after every request sent before. Rejects with an AbortError when cancelled. */
  generate(segments: WireSegment[], o: AnswerOptions): Promise<AnswerTimings> {
    if (o.signal.aborted) return Promise.reject(o.signal.reason);
    const frames = segments.flatMap((s) => s.type === 'image' ? [s.image] : s.type === 'video' ? s.frames : []);
    let id = 0;
    const answer = this.request((i) => {
      id = i;
      return { type: 'generate', id, segments, maxTokens: o.maxTokens, temperature: o.temperature };
    }, frames, (text) => { if (!o.signal.aborted) o.onToken(text); }); // tokens sent before the worker saw the cancel are dropped
    const cancel = () => void this.worker?.then((w) => this.send(w, { type: 'cancel', id }));
    o.signal.addEventListener('abort', cancel, { once: true });
    // An answer the worker finished before it saw the cancel still counts as cancelled: its last
    // tokens were dropped here.
    return (answer as Promise<AnswerTimings>)
      .then((timings) => { o.signal.throwIfAborted(); return timings; })
      .finally(() => o.signal.removeEventListener('abort', cancel));
  }

  /** Media ids no prompt will use again. */
  release(media: number[]): void {
    if (media.length) void this.worker?.then((w) => this.send(w, { type: 'release', media }));
  }

  /** Posts a request; its frames' pixels are moved to the worker, not copied. */
  private request(message: (id: number) => PageToWorker, frames: RgbaImage[], onToken?: (text: string) => void): Promise<unknown> {
    if (!this.worker) return Promise.reject(new Error('no model is configured yet'));
    const id = ++this.requests;
    const result = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, onToken }));
    const transfer = [...new Set(frames.map((f) => f.data.buffer))];
    void this.worker.then((w) => this.send(w, message(id), transfer), (e: Error) => this.settle(id, { error: e.message }));
    return result;
  }

  private send(worker: Worker, message: PageToWorker, transfer: Transferable[] = []): void {
    worker.postMessage(message, transfer);
  }

  /** Starts the worker from a blob of its script: a worker may only start from a blob here. */
  private async start(files: EngineFiles): Promise<Worker> {
    const script = await fetchBytes(files.workerScript).catch((e: Error) => {
      this.worker = undefined;
      throw new Error(`the engine's files could not be read (engine-worker.js: ${e.message}); reinstall the extension`);
    });
    const url = URL.createObjectURL(new Blob([script as Uint8Array<ArrayBuffer>], { type: 'text/javascript' }));
    const worker = new Worker(url, { type: 'module', name: 'flamingo-engine' });
    worker.onmessage = (e: MessageEvent<WorkerToPage>) => this.receive(worker, e.data);
    worker.onerror = (e) => { e.preventDefault(); this.stopped(worker, e.message || 'it could not start'); };
    return worker;
  }

  private receive(worker: Worker, msg: WorkerToPage): void {
    switch (msg.type) {
      case 'state':
        if (msg.load !== this.load) return; // about a configuration replaced since
        this.on.state(msg.engine);
        if (msg.engine.state === 'failed') this.failLoad(msg.load, msg.engine.message, false);
        break;
      case 'loaded': {
        if (msg.load !== this.load) return;
        const model = { id: msg.model, manifest: msg.manifest };
        if (this.settleModel) this.settleModel.resolve(model);
        else this.model = Promise.resolve(model); // reloaded (on WASM, after a lost GPU device)
        this.settleModel = undefined;
        break;
      }
      case 'log':
        this.on.log(msg.message);
        break;
      case 'read':
        fetchBytes(msg.url).then(
          (bytes) => this.send(worker, { type: 'file', id: msg.id, bytes }, [bytes.buffer]),
          (e: Error) => this.send(worker, { type: 'file', id: msg.id, error: e.message }),
        );
        break;
      case 'token':
        this.pending.get(msg.id)?.onToken?.(msg.text);
        break;
      case 'result':
        this.settle(msg.id, msg);
        break;
    }
  }

  private settle(id: number, r: { value?: unknown; error?: string; aborted?: boolean }): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (!p) return;
    if (r.aborted) p.reject(new DOMException(r.error ?? 'cancelled', 'AbortError'));
    else if (r.error !== undefined) p.reject(new Error(r.error));
    else p.resolve(r.value);
  }

  private failLoad(load: number, message: string, report = true): void {
    if (load !== this.load) return;
    if (report) this.on.state({ state: 'failed', model: this.config?.model.label ?? '', message });
    this.settleModel?.reject(new Error(`The model at ${this.config?.model.label} could not be loaded: ${message}`));
    this.settleModel = undefined;
  }

  /** The worker died (it could not start, or its script threw): everything in flight fails; the next request starts another. */
  private stopped(worker: Worker, reason: string): void {
    worker.terminate();
    this.worker = undefined;
    const message = `the engine worker stopped: ${reason}`;
    this.on.log(message);
    this.failLoad(this.load, message);
    this.model = Promise.reject(new Error(message));
    this.model.catch(() => undefined);
    for (const id of [...this.pending.keys()]) this.settle(id, { error: message });
  }
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText || ''}`.trim());
  return new Uint8Array(await res.arrayBuffer());
}
