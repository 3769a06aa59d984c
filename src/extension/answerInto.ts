// Streams one answer of the engine into a document at a position, with a cancellable progress
// notification. Errors end up as a message; the document stays as the person left it.
import * as vscode from 'vscode';
import { layoutFor } from './commentStyle';
import { DocumentStream } from './documentStream';
import { MarkdownOutline } from './outline';
import type { EngineClient, RequestResult } from './engineClient';
import type { MediaBytes } from './protocol';
import type { EngineStatus } from './status';
import type { Settings } from './settings';
import { formatTimings } from './timings';

export interface AnswerJob {
  title: string;
  media: MediaBytes[];
  prompt: string;
  document: vscode.TextDocument;
  position: vscode.Position;
  /** Lay the answer out as a comment in code files (false: plain text, as in a new markdown document). */
  asComment: boolean;
  /** Lay a screen description out as a markdown outline (summary, then one bullet per component). */
  outline?: boolean;
}

/** Answers in flight, so "Flamingo: Stop" can cancel them. */
export const activeAnswers = new Set<AbortController>();

export async function answerInto(engine: EngineClient, status: EngineStatus, settings: Settings, job: AnswerJob): Promise<RequestResult | undefined> {
  const { document, position } = job;
  const line = document.lineAt(position.line).text;
  const layout = job.asComment
    ? layoutFor(document.languageId, line.slice(0, position.character), line.slice(position.character))
    : { open: '', newline: '\n', close: '' };
  const stream = new DocumentStream(document, position, layout);
  const outline = job.outline ? new MarkdownOutline() : undefined;
  const abort = new AbortController();
  activeAnswers.add(abort);
  const answered = status.answerStarted();
  const closed = vscode.workspace.onDidCloseTextDocument((d) => { if (d === document) abort.abort(); });
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Flamingo: ${job.title}`, cancellable: true },
      async (_progress, token) => {
        token.onCancellationRequested(() => abort.abort());
        const result = await engine.request({
          media: job.media, prompt: job.prompt, settings: { maxTokens: settings.maxTokens, temperature: settings.temperature },
          signal: abort.signal, onToken: (t) => stream.write(outline ? outline.push(t) : t),
        });
        status.log(`${job.title}: ${result.cancelled ? 'cancelled' : formatTimings(result.timings)}`);
        return result;
      },
    );
  } catch (e) {
    const message = (e as Error).message;
    status.log(`${job.title}: failed: ${message}`);
    void vscode.window.showErrorMessage(`Flamingo: ${message}`);
    return undefined;
  } finally {
    if (outline) stream.write(outline.end());
    await stream.finish();
    stream.dispose();
    closed.dispose();
    answered();
    activeAnswers.delete(abort);
  }
}
