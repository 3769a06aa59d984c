// The command palette, explorer and editor-title commands.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeAnswers, answerInto } from './answerInto';
import type { ChatViewProvider } from './chatView';
import type { EngineClient } from './engineClient';
import { DESCRIBE_MOCKUP_PROMPT, EXPLAIN_SCREENSHOT_PROMPT } from './prompts';
import type { Settings } from './settings';
import type { EngineStatus } from './status';

const IMAGE_FILTERS = { Images: ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'svg'] };

export interface CommandContext {
  engine: EngineClient;
  chat: ChatViewProvider;
  status: EngineStatus;
  settings(): Settings;
}

export function registerCommands(c: CommandContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('flamingo.explainScreenshot', (uri?: vscode.Uri) => explainScreenshot(c, uri)),
    vscode.commands.registerCommand('flamingo.describeMockup', (uri?: vscode.Uri) => describeMockup(c, uri)),
    vscode.commands.registerCommand('flamingo.openChat', () => c.chat.reveal(true)),
    vscode.commands.registerCommand('flamingo.stop', () => { for (const a of activeAnswers) a.abort(); }),
  ];
}

/** An image file into the active editor at the cursor (or a new markdown document), or the clipboard through the chat panel. */
async function explainScreenshot(c: CommandContext, uri?: vscode.Uri): Promise<void> {
  if (!uri) {
    const choice = await vscode.window.showQuickPick([
      { label: '$(file-media) Image file…', description: 'explain it at the cursor', id: 'file' },
      { label: '$(clippy) Clipboard', description: 'paste it into the Flamingo chat panel', id: 'clipboard' },
    ], { title: 'Flamingo: Explain Screenshot', placeHolder: 'Which screenshot?' });
    if (!choice) return;
    if (choice.id === 'clipboard') {
      await c.chat.reveal(true);
      c.chat.post({ type: 'pasteHint' });
      return;
    }
    uri = await pickImage('Explain');
    if (!uri) return;
  }
  const media = await readMedia(uri);
  if (!media) return;
  const editor = vscode.window.activeTextEditor;
  if (editor) {
    await answerInto(c.engine, c.status, c.settings(), {
      title: `explaining ${media.name}`, media: [media], prompt: EXPLAIN_SCREENSHOT_PROMPT,
      document: editor.document, position: editor.selection.active, asComment: true,
    });
    return;
  }
  await intoNewMarkdown(c, `# Screenshot: ${media.name}\n\n`, `explaining ${media.name}`, media, EXPLAIN_SCREENSHOT_PROMPT);
}

/** A structured description of a mockup into a new untitled markdown document. */
async function describeMockup(c: CommandContext, uri?: vscode.Uri): Promise<void> {
  uri ??= activeImagePreview() ?? await pickImage('Describe');
  if (!uri) return;
  const media = await readMedia(uri);
  if (!media) return;
  await intoNewMarkdown(c, `# UI mockup: ${media.name}\n\n`, `describing ${media.name}`, media, DESCRIBE_MOCKUP_PROMPT, true);
}

async function intoNewMarkdown(c: CommandContext, heading: string, title: string, media: { name: string; bytes: Uint8Array }, prompt: string, outline = false): Promise<void> {
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: heading });
  await vscode.window.showTextDocument(document, { preview: false });
  await answerInto(c.engine, c.status, c.settings(), {
    title, media: [media], prompt, document, position: document.positionAt(heading.length), asComment: false, outline,
  });
}

async function pickImage(verb: string): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: IMAGE_FILTERS, openLabel: verb });
  return picked?.[0];
}

/** The image shown by the active image preview (the editor title button of an image). */
function activeImagePreview(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom && input.viewType === 'imagePreview.previewEditor' ? input.uri : undefined;
}

async function readMedia(uri: vscode.Uri): Promise<{ name: string; bytes: Uint8Array } | undefined> {
  try {
    return { name: path.posix.basename(uri.path), bytes: await vscode.workspace.fs.readFile(uri) };
  } catch (e) {
    void vscode.window.showErrorMessage(`Flamingo: cannot read ${uri.fsPath}: ${(e as Error).message}`);
    return undefined;
  }
}
