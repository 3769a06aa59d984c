// Integration tests inside the real extension host (code-server's Node extension host, loaded
// through the smoke-test driver: see test/e2e/extension-host.test.ts, which starts it). VS Code
// calls run(); a rejection fails the run. Each check prints one line, and the results go to the
// JSON file named by FLAMINGO_SUITE_REPORT for the launcher to show.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { EngineClient, PAGE_RELOADED_MESSAGE, VIEW_CLOSED_MESSAGE } from '../../src/extension/engineClient';
import type { FlamingoApi } from '../../src/extension/extension';
import type { HostToWebview } from '../../src/extension/protocol';
import { outline } from '../../src/extension/outline';
import { EXPLAIN_SCREENSHOT_PROMPT } from '../../src/extension/prompts';

const EXTENSION_ID = 'flamingo-local.flamingo-vscode';

/** What the launcher prepared: an image, and the command line's greedy answers for it. */
interface Fixture { image: string; maxTokens: number; longTokens: number; explain: string; describe: string }

type Check = [name: string, body: () => Promise<void>];

export async function run(): Promise<void> {
  const fixture = JSON.parse(readFileSync(process.env.FLAMINGO_SUITE_FIXTURE!, 'utf8')) as Fixture;
  const image = new Uint8Array(readFileSync(fixture.image));
  const ext = vscode.extensions.getExtension<FlamingoApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  const api = await ext.activate();
  const settings = { maxTokens: fixture.maxTokens, temperature: 0 };
  const answer = async (prompt: string, media = [{ name: 'shot.png', bytes: image }], signal?: AbortSignal) => {
    const deltas: string[] = [];
    const result = await api.engine.request({ media, prompt, settings, signal, onToken: (t) => deltas.push(t) });
    return { text: deltas.join(''), deltas, result };
  };

  const checks: Check[] = [
    ['the commands are registered', async () => {
      const all = await vscode.commands.getCommands(true);
      for (const c of ['flamingo.explainScreenshot', 'flamingo.describeMockup', 'flamingo.openChat', 'flamingo.stop']) assert.ok(all.includes(c), c);
    }],

    ['a request streams the command line\'s answer token by token, with timings', async () => {
      const { text, deltas, result } = await answer(EXPLAIN_SCREENSHOT_PROMPT);
      assert.equal(text, fixture.explain);
      assert.ok(deltas.length > 1, `${deltas.length} deltas`);
      assert.equal(result.cancelled, false);
      assert.ok(result.timings.tokens > 0 && result.timings.firstTokenMs > 0 && result.timings.tokensPerSecond > 0, JSON.stringify(result.timings));
    }],

    ['two requests at once queue: their streams do not interleave', async () => {
      const order: string[] = [];
      const one = api.engine.request({ media: [{ name: 'a.png', bytes: image }], prompt: EXPLAIN_SCREENSHOT_PROMPT, settings, onToken: () => order.push('a') });
      const two = api.engine.request({ media: [{ name: 'b.png', bytes: image }], prompt: EXPLAIN_SCREENSHOT_PROMPT, settings, onToken: () => order.push('b') });
      await Promise.all([one, two]);
      const switches = order.filter((x, i) => i > 0 && x !== order[i - 1]).length;
      assert.equal(switches, 1, `token order: ${order.join('')}`);
      assert.equal(order[0], 'a');
    }],

    ['cancel stops an answer part way, and the next request answers in full', async () => {
      // A long answer (the model's whole context), so the cancel arrives while it streams.
      const long = { maxTokens: fixture.longTokens, temperature: 0 };
      const abort = new AbortController();
      const deltas: string[] = [];
      const result = await api.engine.request({
        media: [{ name: 'shot.png', bytes: image }], prompt: EXPLAIN_SCREENSHOT_PROMPT, settings: long, signal: abort.signal,
        onToken: (t) => { deltas.push(t); if (deltas.length === 2) abort.abort(); },
      });
      assert.equal(result.cancelled, true);
      const full: string[] = [];
      const next = await api.engine.request({ media: [{ name: 'shot.png', bytes: image }], prompt: EXPLAIN_SCREENSHOT_PROMPT, settings: long, onToken: (t) => full.push(t) });
      assert.equal(next.cancelled, false);
      const partial = deltas.join('');
      assert.ok(full.join('').startsWith(partial) && partial.length < full.join('').length, `${partial.length} of ${full.join('').length} characters before the cancel`);
    }],

    ['bad media are refused with a message that names the problem', async () => {
      await assert.rejects(answer('x', [{ name: 'empty.png', bytes: new Uint8Array(0) }]), /"empty\.png" is empty \(0 bytes\)/);
      await assert.rejects(answer('x', [{ name: 'notes.png', bytes: new TextEncoder().encode('plain text') }]), /"notes\.png" is not a supported image/);
      assert.equal((await answer(EXPLAIN_SCREENSHOT_PROMPT)).text, fixture.explain, 'the engine still answers');
    }],

    ['Describe UI Mockup on a file opens a markdown document with the description', async () => {
      await vscode.commands.executeCommand('flamingo.describeMockup', vscode.Uri.file(fixture.image));
      const doc = vscode.window.activeTextEditor?.document;
      assert.ok(doc && doc.isUntitled && doc.languageId === 'markdown', 'an untitled markdown document is active');
      assert.equal(doc.getText(), `# UI mockup: ${fixture.image.split('/').pop()}\n\n${outline(fixture.describe.trim())}`);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }],

    ['Explain Screenshot on a file writes a comment at the cursor, following edits made above it', async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      assert.ok(folder, 'a workspace folder is open');
      const file = vscode.Uri.joinPath(folder.uri, 'explain-target.ts');
      await vscode.workspace.fs.writeFile(file, new TextEncoder().encode('const a = 1;\n\nconst b = 2;\n'));
      const doc = await vscode.workspace.openTextDocument(file);
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(1, 0, 1, 0);
      let typed: Promise<boolean> | undefined;
      const sub = vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document !== doc || typed || !e.contentChanges.some((c) => c.text.includes('//'))) return;
        // The first chunk is in: the person adds a line at the top. (An API edit is refused when
        // the document changed under it, so it is retried, as a keystroke would simply land.)
        typed = (async () => {
          for (let attempt = 0; attempt < 20; attempt++) {
            const edit = new vscode.WorkspaceEdit();
            edit.insert(doc.uri, new vscode.Position(0, 0), '// header\n');
            if (await vscode.workspace.applyEdit(edit)) return true;
          }
          return false;
        })();
      });
      await vscode.commands.executeCommand('flamingo.explainScreenshot', vscode.Uri.file(fixture.image));
      sub.dispose();
      assert.equal(await typed, true, 'the edit above the answer was applied while it streamed');
      const comment = fixture.explain.trim().split('\n').map((l) => `// ${l}`).join('\n');
      assert.equal(doc.getText(), `// header\nconst a = 1;\n${comment}\nconst b = 2;\n`);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }],

    ['a view that goes away fails what is in flight with a clear message, and reopens for the next request', async () => {
      // The protocol client alone, over a port that answers like the webview and then vanishes.
      const sent: HostToWebview[] = [];
      let opened = 0;
      const client = new EngineClient(() => { opened++; }, () => ({ type: 'cancel', id: 'configure-stand-in' }));
      client.attach({ post: (m) => sent.push(m) });
      client.receive({ type: 'ready' });
      const pending = client.request({ media: [], prompt: 'x', settings, onToken: () => undefined });
      const id = (sent.find((m) => m.type === 'request') as Extract<HostToWebview, { type: 'request' }>).id;
      client.receive({ type: 'token', id, text: 'partial' });
      client.detach();
      await assert.rejects(pending, (e: Error) => e.message === VIEW_CLOSED_MESSAGE);
      void client.request({ media: [], prompt: 'again', settings, onToken: () => undefined });
      assert.equal(opened, 1, 'the next request asks for the view again');
    }],

    ['a page that reloads on its own fails what it was answering, and answers what was queued', async () => {
      const sent: HostToWebview[] = [];
      const client = new EngineClient(() => undefined, () => ({ type: 'cancel', id: 'configure-stand-in' }));
      client.attach({ post: (m) => sent.push(m) });
      client.receive({ type: 'ready' });
      const answering = client.request({ media: [], prompt: 'x', settings, onToken: () => undefined });
      client.receive({ type: 'ready' }); // "Developer: Reload Webviews": the page starts again
      await assert.rejects(answering, (e: Error) => e.message === PAGE_RELOADED_MESSAGE);
      const next = client.request({ media: [], prompt: 'y', settings, onToken: () => undefined });
      const id = (sent.filter((m) => m.type === 'request').pop() as Extract<HostToWebview, { type: 'request' }>).id;
      client.receive({ type: 'done', id, timings: { firstTokenMs: 0, tokens: 0, tokensPerSecond: 0, stages: {} }, cancelled: false });
      assert.equal((await next).cancelled, false, 'the next request is answered by the new page');
    }],
  ];

  const results: Array<{ name: string; ok: boolean; error?: string }> = [];
  for (const [name, body] of checks) {
    try {
      await body();
      results.push({ name, ok: true });
      console.log(`ok - ${name}`);
    } catch (e) {
      results.push({ name, ok: false, error: (e as Error).stack ?? String(e) });
      console.log(`not ok - ${name}\n${(e as Error).message}`);
    }
  }
  writeFileSync(process.env.FLAMINGO_SUITE_REPORT!, JSON.stringify(results, null, 2));
  const failed = results.filter((r) => !r.ok).length;
  if (failed) throw new Error(`${failed} of ${results.length} extension-host checks failed`);
}
