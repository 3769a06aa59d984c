// Flamingo for VS Code: wires the chat view (which hosts the engine), the paste provider, the
// commands, the status bar and the settings together.
import * as vscode from 'vscode';
import { ChatViewProvider, CHAT_VIEW_ID } from './chatView';
import { registerCommands } from './commands';
import { EngineClient } from './engineClient';
import { EXPLAIN_PASTE_KIND, ExplainPasteProvider, PASTE_MIME_TYPES } from './pasteProvider';
import type { WebviewToHost } from './protocol';
import { readSettings } from './settings';
import { EngineStatus } from './status';

/** What activate returns: the integration tests drive the engine through it. */
export interface FlamingoApi { engine: EngineClient; chat: ChatViewProvider; status: EngineStatus }

export function activate(context: vscode.ExtensionContext): FlamingoApi {
  const settings = () => readSettings(context.extensionUri);
  const status = new EngineStatus();
  let chat!: ChatViewProvider;
  const engine = new EngineClient(() => void chat.reveal(false), () => chat.configureMessage());
  chat = new ChatViewProvider(context.extensionUri, engine, settings, (msg) => onPanelMessage(msg, status), (line) => status.log(line));
  engine.onEngineState((s) => status.show(s));
  engine.onLog((line) => status.log(line));

  context.subscriptions.push(
    status,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chat, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.languages.registerDocumentPasteEditProvider({ scheme: '*' }, new ExplainPasteProvider(engine, status, settings), {
      providedPasteEditKinds: [EXPLAIN_PASTE_KIND], pasteMimeTypes: PASTE_MIME_TYPES,
    }),
    ...registerCommands({ engine, chat, status, settings }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('flamingo')) return;
      const s = settings();
      status.log(`settings changed: model ${s.modelFolder.fsPath}, backend ${s.backend}, max tokens ${s.maxTokens}, temperature ${s.temperature}`);
      chat.reconfigure();
    }),
  );
  return { engine, chat, status };
}

/** Messages of the chat panel that are not the engine's: copy and insert an answer. */
function onPanelMessage(msg: WebviewToHost, status: EngineStatus): void {
  if (msg.type === 'copyAnswer') {
    void vscode.env.clipboard.writeText(msg.text).then(() => vscode.window.setStatusBarMessage('Flamingo: answer copied', 2000));
  } else if (msg.type === 'insertAnswer') {
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    if (!editor) { void vscode.window.showInformationMessage('Flamingo: open a text editor to insert the answer into.'); return; }
    void editor.edit((b) => b.replace(editor.selection, msg.text)).then((ok) => {
      if (!ok) status.log('insert answer: the editor changed, nothing inserted');
    });
  }
}

export function deactivate(): void {}
