// The extension host's side of the protocol: sends requests to the webview engine, routes the
// streamed tokens back to their callers, and fails what is in flight when the view goes away.
// Knows nothing of VS Code: the view is reached through the small WebviewPort interface.
import type { EngineState, GenerationSettings, HostToWebview, MediaBytes, RequestTimings, WebviewToHost } from './protocol';

/** A live webview that can be posted to. */
export interface WebviewPort { post(message: HostToWebview): void }

export interface RequestResult { timings: RequestTimings; cancelled: boolean }

export interface EngineRequest {
  media: MediaBytes[];
  prompt: string;
  settings: GenerationSettings;
  onToken(text: string): void;
  /** Aborting stops generation; the request then resolves with `cancelled: true`. */
  signal?: AbortSignal;
}

interface Pending {
  onToken(text: string): void;
  resolve(result: RequestResult): void;
  reject(error: Error): void;
  detach(): void;
}

export const VIEW_CLOSED_MESSAGE =
  'The Flamingo panel was closed before the answer finished. Run the command again to reopen it.';

export const PAGE_RELOADED_MESSAGE =
  'The Flamingo panel reloaded (a new model folder, or Developer: Reload Webviews) before the answer finished. Run the command again.';

export class EngineClient {
  private port: WebviewPort | undefined;
  private ready = false;
  private readonly outbox: HostToWebview[] = [];
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private readonly stateListeners = new Set<(s: EngineState) => void>();
  private readonly logListeners = new Set<(line: string) => void>();

  /**
   * @param openView asks VS Code to resolve the view (without taking focus) when a request
   *   arrives and no view is attached.
   * @param configureMessage what the webview needs before its first request (model, backend).
   */
  constructor(private readonly openView: () => void, private readonly configureMessage: () => HostToWebview) {}

  /** Streams one answer. Requests are queued by the webview and answered one at a time. */
  request(req: EngineRequest): Promise<RequestResult> {
    const id = `r${this.nextId++}`;
    return new Promise<RequestResult>((resolve, reject) => {
      if (req.signal?.aborted) { resolve({ timings: emptyTimings(), cancelled: true }); return; }
      const onAbort = () => this.send({ type: 'cancel', id });
      req.signal?.addEventListener('abort', onAbort);
      this.pending.set(id, {
        onToken: req.onToken, resolve, reject,
        detach: () => req.signal?.removeEventListener('abort', onAbort),
      });
      // A Node Buffer would be posted as JSON ({ type: 'Buffer', data: [...] }); a plain
      // Uint8Array view of the same memory is transferred as bytes.
      const media = req.media.map((m) => ({ name: m.name, bytes: new Uint8Array(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength) }));
      this.send({ type: 'request', id, media, prompt: req.prompt, settings: req.settings });
    });
  }

  /** Called by the view provider when a webview is resolved. */
  attach(port: WebviewPort): void {
    this.port = port;
    this.ready = false;
  }

  /** The webview went away: what was in flight cannot finish; later requests reopen the view. */
  detach(): void {
    this.port = undefined;
    this.ready = false;
    this.outbox.length = 0;
    this.failPending(VIEW_CLOSED_MESSAGE);
  }

  /** The page is about to reload (new model folder): answers in flight end; queued ones wait for it. */
  pageReloading(): void {
    this.ready = false;
    const queued = new Set(this.outbox.flatMap((m) => (m.type === 'request' ? [m.id] : [])));
    this.failPending(PAGE_RELOADED_MESSAGE, (id) => !queued.has(id));
  }

  private failPending(message: string, which: (id: string) => boolean = () => true): void {
    for (const [id, p] of this.pending) {
      if (!which(id)) continue;
      this.pending.delete(id);
      p.detach();
      p.reject(new Error(message));
    }
  }

  /** Reconfigures the webview (settings changed): it reloads the model if the model changed. */
  reconfigure(): void {
    if (this.port && this.ready) this.port.post(this.configureMessage());
  }

  onEngineState(listener: (s: EngineState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  onLog(listener: (line: string) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /** Handles one message from the webview; returns false for messages that are not the engine's. */
  receive(msg: WebviewToHost): boolean {
    switch (msg.type) {
      case 'ready':
        // Requests already sent cannot survive a page that starts again: it reloaded on its own
        // ("Developer: Reload Webviews") or after pageReloading(); queued ones go to the new page.
        this.pageReloading();
        this.ready = true;
        this.port?.post(this.configureMessage());
        for (const m of this.outbox.splice(0)) this.port?.post(m);
        return true;
      case 'engine':
        for (const l of this.stateListeners) l(msg.engine);
        return true;
      case 'log':
        for (const l of this.logListeners) l(msg.message);
        return true;
      case 'token':
        this.pending.get(msg.id)?.onToken(msg.text);
        return true;
      case 'done':
        this.settle(msg.id, (p) => p.resolve({ timings: msg.timings, cancelled: msg.cancelled }));
        return true;
      case 'error':
        this.settle(msg.id, (p) => p.reject(new Error(msg.message)));
        return true;
      default:
        return false;
    }
  }

  private settle(id: string, how: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.detach();
    how(p);
  }

  private send(msg: HostToWebview): void {
    if (this.port && this.ready) { this.port.post(msg); return; }
    if (msg.type === 'cancel') {
      // Not sent yet: drop the queued request instead.
      const i = this.outbox.findIndex((m) => m.type === 'request' && m.id === msg.id);
      if (i >= 0) this.outbox.splice(i, 1);
      this.settle(msg.id, (p) => p.resolve({ timings: emptyTimings(), cancelled: true }));
      return;
    }
    this.outbox.push(msg);
    if (!this.port) this.openView();
  }
}

function emptyTimings(): RequestTimings {
  return { firstTokenMs: 0, tokens: 0, tokensPerSecond: 0, stages: {} };
}
