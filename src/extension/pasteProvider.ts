// "Explain screenshot with Flamingo" when an image is pasted into a text editor. The paste
// itself inserts nothing; once the person picks this option (VS Code resolves the edit), the
// explanation streams in at the paste position. Pastes without an image are left to others.
import * as vscode from 'vscode';
import { answerInto } from './answerInto';
import type { EngineClient } from './engineClient';
import { EXPLAIN_SCREENSHOT_PROMPT } from './prompts';
import type { Settings } from './settings';
import type { EngineStatus } from './status';

export const EXPLAIN_PASTE_KIND = vscode.DocumentDropOrPasteEditKind.Empty.append('flamingo', 'explain');
export const PASTE_MIME_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp', 'image/svg+xml'];

class ExplainPasteEdit extends vscode.DocumentPasteEdit {
  constructor(readonly document: vscode.TextDocument, readonly position: vscode.Position, readonly image: { name: string; bytes: Uint8Array }) {
    super('', 'Explain screenshot with Flamingo', EXPLAIN_PASTE_KIND);
  }
}

export class ExplainPasteProvider implements vscode.DocumentPasteEditProvider<ExplainPasteEdit> {
  constructor(private readonly engine: EngineClient, private readonly status: EngineStatus, private readonly settings: () => Settings) {}

  async provideDocumentPasteEdits(document: vscode.TextDocument, ranges: readonly vscode.Range[], dataTransfer: vscode.DataTransfer): Promise<ExplainPasteEdit[] | undefined> {
    for (const mime of PASTE_MIME_TYPES) {
      const item = dataTransfer.get(mime);
      if (!item) continue;
      // The data transfer is only readable now, not when the edit is resolved.
      const file = item.asFile();
      const bytes = file ? await file.data() : new TextEncoder().encode(await item.asString());
      const name = file?.name || `pasted.${mime.split('/')[1].replace('+xml', '')}`;
      const start = ranges.reduce((a, r) => (r.start.isBefore(a) ? r.start : a), ranges[0].start);
      return [new ExplainPasteEdit(document, start, { name, bytes })];
    }
    return undefined;
  }

  /** Called for the one edit VS Code applies: start the explanation (it streams after the paste). */
  resolveDocumentPasteEdit(edit: ExplainPasteEdit): ExplainPasteEdit {
    this.status.log(`paste: explaining ${edit.image.name} (${edit.image.bytes.byteLength} bytes)`);
    void answerInto(this.engine, this.status, this.settings(), {
      title: 'explaining the screenshot', media: [edit.image], prompt: EXPLAIN_SCREENSHOT_PROMPT,
      document: edit.document, position: edit.position, asComment: true,
    });
    return edit;
  }
}
