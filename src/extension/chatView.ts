// The chat panel (a WebviewView kept alive while hidden). It hosts the engine: the extension
// host only moves bytes to it and streams back what it answers.
import * as vscode from 'vscode';
import type { EngineClient } from './engineClient';
import type { HostToWebview, WebviewToHost } from './protocol';
import type { Settings } from './settings';

export const CHAT_VIEW_ID = 'flamingo.chat';

/** The onnxruntime-web binaries of its WebGPU and WASM-only builds (esbuild.mjs copies them into dist/ort). */
const ORT_BINARIES = { webgpu: 'ort-wasm-simd-threaded.asyncify.wasm', wasm: 'ort-wasm-simd-threaded.wasm' };

export class ChatViewProvider implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  /** The localResourceRoots the view was given: changing them reloads the page. */
  private roots: string[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly engine: EngineClient,
    private readonly settings: () => Settings,
    private readonly onOtherMessage: (msg: WebviewToHost) => void,
    private readonly log: (line: string) => void,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.log('chat view opened');
    this.view = view;
    this.roots = this.resourceRoots().map(String);
    view.webview.options = { enableScripts: true, localResourceRoots: this.resourceRoots() };
    view.webview.html = this.html(view.webview);
    view.webview.onDidReceiveMessage((msg: WebviewToHost) => {
      if (!this.engine.receive(msg)) this.onOtherMessage(msg);
    });
    view.onDidDispose(() => {
      this.log('chat view closed');
      if (this.view === view) this.view = undefined;
      this.engine.detach();
    });
    this.engine.attach({ post: (m) => void view.webview.postMessage(m) });
  }

  /** The configure message for the current settings, with URIs the webview can fetch. */
  configureMessage(): HostToWebview {
    const s = this.settings();
    const webview = this.view?.webview;
    if (!webview) throw new Error('the Flamingo view is not open');
    return {
      type: 'configure',
      model: { baseUri: folderUri(webview.asWebviewUri(s.modelFolder)), label: s.modelFolder.fsPath },
      engineFiles: {
        workerScript: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'engine-worker.js')).toString(),
        ortBinaries: {
          webgpu: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'ort', ORT_BINARIES.webgpu)).toString(),
          wasm: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'ort', ORT_BINARIES.wasm)).toString(),
        },
      },
      backend: s.backend,
      settings: { maxTokens: s.maxTokens, temperature: s.temperature },
    };
  }

  /** Applies changed settings: a new model folder needs new resource roots, which reloads the page. */
  reconfigure(): void {
    if (!this.view) return;
    const roots = this.resourceRoots();
    if (roots.map(String).join('\n') === this.roots.join('\n')) { this.engine.reconfigure(); return; }
    this.roots = roots.map(String);
    this.engine.pageReloading();
    this.view.webview.options = { enableScripts: true, localResourceRoots: roots };
  }

  post(msg: HostToWebview): void { void this.view?.webview.postMessage(msg); }

  /** Shows the view; resolves it first when needed. Never takes focus unless asked. */
  async reveal(focus = false): Promise<void> {
    if (this.view) { this.view.show(!focus); return; }
    // Every view has a "<id>.focus" command; it takes { preserveFocus }.
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`, { preserveFocus: !focus });
  }

  /** The extension's own folders and the model folder, nothing else. */
  private resourceRoots(): vscode.Uri[] {
    return [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media'), this.settings().modelFolder];
  }

  private html(webview: vscode.Webview): string {
    const nonce = makeNonce();
    const asset = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...p)).toString();
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} blob: data:`,
      'media-src blob:',
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}' 'wasm-unsafe-eval'`,
      `connect-src ${webview.cspSource}`,
      // The engine worker, started from a blob of dist/engine-worker.js (src/webview/engineWorker.ts).
      'worker-src blob:',
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('media', 'chat.css')}">
<title>Flamingo</title>
</head>
<body>
<div id="app" class="app"></div>
<script type="module" nonce="${nonce}" src="${asset('dist', 'webview.js')}"></script>
</body>
</html>`;
  }
}

function folderUri(uri: vscode.Uri): string {
  const s = uri.toString();
  return s.endsWith('/') ? s : s + '/';
}

function makeNonce(): string {
  const bytes = new Uint8Array(18);
  globalThis.crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64').replace(/[+/=]/g, '');
}
