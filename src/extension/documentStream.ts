// Streams text into a document at a position that follows the person's own edits: text typed
// above moves the insertion point, text typed at it stays after the stream, nothing they type is
// overwritten. While the document's editor is visible, all chunks go in without undo stops, so
// the whole answer is one undo step.
import * as vscode from 'vscode';
import type { StreamLayout } from './commentStyle';

export class DocumentStream implements vscode.Disposable {
  /** Offset where the next chunk goes. */
  private anchor: number;
  private buffer = '';
  private opened = false;
  private heldNewlines = 0;
  private edited = false;
  private inFlight: { offset: number; text: string } | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly listener: vscode.Disposable;

  constructor(private readonly document: vscode.TextDocument, position: vscode.Position, private readonly layout: StreamLayout) {
    this.anchor = document.offsetAt(position);
    this.listener = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === this.document) this.track(e.contentChanges);
    });
  }

  /** The current insertion point. */
  get position(): vscode.Position { return this.document.positionAt(this.anchor); }

  /** Adds streamed text. Leading whitespace is dropped, and newlines wait for the text after them, so the answer goes in trimmed. */
  write(text: string): void {
    if (!this.opened) {
      text = text.replace(/^\s+/, '');
      if (!text) return;
      this.buffer += this.layout.open;
      this.opened = true;
    }
    text.split(/\r?\n/).forEach((line, i) => {
      if (i > 0) this.heldNewlines++;
      if (!line) return;
      this.buffer += this.layout.newline.repeat(this.heldNewlines) + line;
      this.heldNewlines = 0;
    });
    this.schedule();
  }

  /** Writes the closing part of the layout (if anything was written) and waits for every edit. */
  async finish(): Promise<void> {
    if (this.opened) { this.buffer += this.layout.close; this.schedule(); }
    await this.flushing;
    // Close the undo step, so what the person types next is not undone with the answer.
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === this.document);
    if (this.edited && editor) await editor.edit(() => undefined, { undoStopBefore: false, undoStopAfter: true });
  }

  dispose(): void { this.listener.dispose(); }

  private schedule(): void {
    this.flushing = this.flushing.then(() => this.flush());
  }

  private async flush(): Promise<void> {
    while (this.buffer) {
      const text = this.buffer;
      this.buffer = '';
      if (this.document.isClosed) return;
      for (let attempt = 0; attempt < 5; attempt++) {
        if (await this.insert(text)) break;
      }
    }
  }

  private async insert(text: string): Promise<boolean> {
    const at = this.document.positionAt(this.anchor);
    this.inFlight = { offset: this.anchor, text };
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === this.document);
    let ok: boolean;
    if (editor) {
      // An undo stop before the first chunk only: the whole answer is one undo step.
      ok = await editor.edit((b) => b.insert(at, text), { undoStopBefore: !this.edited, undoStopAfter: false });
    } else {
      const edit = new vscode.WorkspaceEdit();
      edit.insert(this.document.uri, at, text);
      ok = await vscode.workspace.applyEdit(edit);
    }
    if (!ok) this.inFlight = undefined; // the document changed under us: retry at the tracked anchor
    else this.edited = true;
    return ok;
  }

  /** Moves the anchor for every change: ours advance it, the person's shift it when before it. */
  private track(changes: readonly vscode.TextDocumentContentChangeEvent[]): void {
    let delta = 0;
    for (const c of changes) {
      const own = this.inFlight;
      if (own && c.rangeOffset === own.offset && c.rangeLength === 0 && c.text === own.text) {
        this.inFlight = undefined;
        delta += c.text.length;
      } else if (c.rangeOffset >= this.anchor) {
        // At or after the insertion point: the stream stays before it.
      } else if (c.rangeOffset + c.rangeLength <= this.anchor) {
        delta += c.text.length - c.rangeLength;
      } else {
        // A replacement across the insertion point: continue after the new text.
        delta += c.rangeOffset + c.text.length - this.anchor;
      }
    }
    this.anchor += delta;
  }
}
