// The end-to-end suite, run once per backend (wasm.test.ts, webgpu.test.ts): the packaged
// extension in code-server, driven through Chromium like a person would.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { outline } from '../../src/extension/outline';
import { DESCRIBE_MOCKUP_PROMPT, EXPLAIN_SCREENSHOT_PROMPT } from '../../src/extension/prompts';
import {
  cliAnswer, corruptPng, DIAGRAM_SVG, hostileSvg, hugePng, longAnswerTokens, missingModel, sampleScreenshot, secondPng, testModel, TRAINED_MODEL, truncatedModel,
} from './fixtures';
import { clearDocument, freePort, missingPrerequisite, packageVsix, save, Workbench } from './harness';

const CHAT_QUESTION = 'What does this screen show?';

export function extensionSuite(backend: 'wasm' | 'webgpu'): void {
  const skip = missingPrerequisite() ?? missingModel();
  describe(`Flamingo in code-server on ${backend === 'webgpu' ? 'WebGPU (SwiftShader)' : 'WASM'}`, { skip: skip && `skipped: ${skip}` }, () => {
    let w: Workbench;
    let tmp: string;
    let maxTokens: number;
    let model: { path: string; trained: boolean };
    let shot: Buffer;
    let mockup: Buffer;
    let explain: { text: string; tokens: number };
    let probe: { server: Server; url: string; hits: string[] };
    const label = backend === 'webgpu' ? 'WebGPU' : 'WASM';

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), `flamingo-e2e-${backend}-`));
      model = testModel(tmp);
      // SwiftShader is a software GPU: short answers keep the WebGPU run within minutes (and it is
      // slow enough that there is still time to stop mid-answer).
      maxTokens = backend === 'webgpu' ? 16 : longAnswerTokens(model.path);
      shot = await sampleScreenshot('terminal-error.png');
      mockup = await sampleScreenshot('login-form.png');
      const files = {
        'notes.md': '# Notes\n\n', 'app.ts': 'const x = 1;\n\nexport {};\n', 'scratch.md': '', 'diagram.md': '', 'cancel.md': '', 'closing.md': '',
        'screens/shot.png': shot, 'screens/mockup.png': mockup,
      };
      explain = cliAnswer(join(tmp, 'shot.png'), EXPLAIN_SCREENSHOT_PROMPT, model.path, maxTokens, shot);
      probe = await probeServer();
      w = await Workbench.start(backend, {
        vsix: packageVsix(tmp), webgpu: backend === 'webgpu', files,
        settings: {
          'flamingo.modelPath': model.path, 'flamingo.backend': backend, 'flamingo.maxTokens': maxTokens,
          'editor.pasteAs.preferences': ['flamingo.explain'], 'editor.editContext': false,
          'editor.quickSuggestions': { other: false, comments: false, strings: false }, 'editor.suggestOnTriggerCharacters': false,
          'editor.acceptSuggestionOnEnter': 'off', 'workbench.secondarySideBar.defaultVisibility': 'hidden',
          // Unwrapped lines, so the editor's DOM holds each line of a new document whole.
          '[markdown]': { 'editor.wordWrap': 'off' },
          // Desktop VS Code's default. VS Code for the Web saves after 1 s, and every save closes
          // the undo step, so an answer streaming across a save would take one undo per save.
          'files.autoSave': 'off',
        },
      });
      await w.open();
      await w.page.locator('.statusbar-item[id$="flamingo.status"]').waitFor({ timeout: 60_000 });
    });

    /**
     * A test that leaves a screenshot when it fails, and no menu or widget open after it.
     * `anyBackend`: what it checks happens before the engine runs (or does not depend on the
     * backend), so the slow software-GPU run skips it.
     */
    const step = (name: string, body: () => Promise<void>, o: { anyBackend?: boolean } = {}) => it(name, {
      skip: backend === 'webgpu' && o.anyBackend ? 'skipped on WebGPU: it does not depend on the backend, and SwiftShader answers take ~30 s; the WASM run covers it' : false,
    }, async () => {
      try {
        await body();
      } catch (e) {
        await w?.screenshot(`${backend}-FAILED-${name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
        throw e;
      } finally {
        await w?.page.keyboard.press('Escape').catch(() => undefined);
      }
    });

    after(async () => {
      await w?.close();
      probe?.server.close();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    step(`loads the model in the chat panel and reports ${label}`, async () => {
      await w.command('Flamingo: Open Chat');
      const chat = w.chatFrame();
      await chat.locator('.backend', { hasText: label }).waitFor({ timeout: 120_000 });
      await w.page.waitForFunction((l) => (document.querySelector('.statusbar-item[id$="flamingo.status"]')?.textContent ?? '').includes(`· ${l}`), label, { timeout: 30_000 });
      await w.screenshot(`${backend}-chat-loaded`);
      // The engine runs in its own worker, so that no graph run holds up the page, nor the
      // workbench, whose main thread code-server's webviews share (bench:workbench measures it).
      const workers = await Promise.all(w.page.workers().map((x) => x.evaluate(() => self.name).catch(() => '')));
      assert.ok(workers.includes('flamingo-engine'), `the workers of the page: ${JSON.stringify(workers)}`);
      // After the load the webview warms the engine up (on SwiftShader it skips that).
      const warmUp = await waitForLine(w, /warm-up: .*/, 60_000);
      assert.match(warmUp, backend === 'webgpu' ? /skipped on a software GPU/ : /3 throw-away answers in \d+ ms/);
      console.log(`# ${label}: ${warmUp}`);
    });

    step('explains a screenshot pasted into markdown: the CLI\'s text, streamed at the paste', async () => {
      await w.openFile('notes.md');
      await w.page.keyboard.press('Control+End');
      const expected = explain.text.trim();
      const firstTokenMs = await w.pasteAndTimeFirstToken(shot, 'shot.png', 'image/png', expected[0]);
      await w.waitAnswered();
      await w.screenshot(`${backend}-paste-markdown`);
      assert.equal(await save(w, 'notes.md'), `# Notes\n\n${expected}`);
      const timings = lastTimings(w, 'explaining the screenshot');
      console.log(`# ${label}: paste to first token ${Math.round(firstTokenMs)} ms; engine: ${timings}`);

    });

    it('one undo removes the whole pasted answer, and redo brings it back', async () => {
      await w.openFile('notes.md');
      const expected = explain.text.trim();
      let undos = 0;
      let text = await save(w, 'notes.md');
      while (text !== '# Notes\n\n' && undos < 6) {
        await w.page.keyboard.press('Control+Z');
        undos++;
        text = await save(w, 'notes.md');
      }
      console.log(`# ${label}: the pasted answer took ${undos} undo step(s) to remove`);
      assert.equal(text, '# Notes\n\n', 'undo removes the answer');
      for (let i = 0; i < undos; i++) await w.page.keyboard.press('Control+Shift+Z');
      assert.equal(await save(w, 'notes.md'), `# Notes\n\n${expected}`, 'redo brings it back');
      assert.equal(undos, 1, 'one undo step');
    });

    step('explains a screenshot pasted into TypeScript as a comment that follows edits above it', async () => {
      await w.openFile('app.ts');
      await w.page.keyboard.press('Control+Home');
      await w.page.keyboard.press('ArrowDown');
      const expected = explain.text.trim();
      const firstTokenMs = await w.pasteAndTimeFirstToken(shot, 'shot.png', 'image/png', `// ${expected[0]}`);
      // The person keeps typing above the answer while it streams in.
      await w.page.keyboard.press('Control+Home');
      await w.page.keyboard.insertText('let y = 2;\n');
      const typedWhileStreaming = /answering/.test(await w.statusText());
      await w.waitAnswered();
      await w.screenshot(`${backend}-paste-typescript`);
      const comment = expected.split('\n').map((l) => `// ${l}`).join('\n');
      assert.equal(await save(w, 'app.ts'), `let y = 2;\nconst x = 1;\n${comment}\nexport {};\n`);
      console.log(`# ${label}: paste to first token ${Math.round(firstTokenMs)} ms (second paste: ${lastTimings(w, 'explaining the screenshot')})`);
      if (!typedWhileStreaming) console.log('# note: the answer had finished before the typing above it; the follow-the-edit check was not exercised this run');
    });

    step('cancelling a pasted explanation stops it where it is; the document keeps what came so far', async () => {
      await w.openFile('cancel.md');
      // The mockup's answer is the longer one (about 70 tokens against 18 for the terminal shot
      // with the bundled model), so Cancel lands before it ends.
      const expected = cliAnswer(join(tmp, 'mockup.png'), EXPLAIN_SCREENSHOT_PROMPT, model.path, maxTokens, mockup).text.trim();
      await w.pasteAndTimeFirstToken(mockup, 'mockup.png', 'image/png', expected[0], { cancel: true });
      await w.waitAnswered();
      await w.page.keyboard.press('Control+End');
      await w.page.keyboard.type(' (typed after)');
      const partial = (await save(w, 'cancel.md')).replace(/ ?\(typed after\)$/, '');
      assert.ok(expected.startsWith(partial) && partial.length < expected.length,
        `the document holds the start of the answer (${partial.length} of ${expected.length} characters)`);
      assert.deepEqual((await w.notifications()).filter((t) => /Flamingo/.test(t)), [], 'cancelling is not an error');
    }, { anyBackend: true });

    step('describes a UI mockup from the explorer into a new markdown document', async () => {
      const expected = cliAnswer(join(tmp, 'mockup.png'), DESCRIBE_MOCKUP_PROMPT, model.path, maxTokens, mockup).text.trim();
      await w.page.locator('.explorer-item', { hasText: 'screens' }).first().click();
      await w.page.locator('.explorer-item', { hasText: 'mockup.png' }).first().click({ button: 'right' });
      // Menus ignore a click that comes right after they open; hover and Enter is what a keyboard user does.
      await w.page.locator('.monaco-menu .action-item', { hasText: 'Describe UI Mockup' }).first().hover();
      await w.page.keyboard.press('Enter');
      await w.page.locator('.tab.active', { hasText: 'Untitled' }).waitFor({ timeout: 30_000 });
      await w.page.waitForFunction(() => /answering/.test(document.querySelector('.statusbar-item[id$="flamingo.status"]')?.textContent ?? ''), undefined, { timeout: 30_000 }).catch(() => undefined);
      await w.waitAnswered();
      await w.screenshot(`${backend}-describe-mockup`);
      const lines = await w.editorLines();
      assert.equal(lines.join('\n').trimEnd(), `# UI mockup: mockup.png\n\n${outline(expected)}`);
      await w.command('View: Revert and Close Editor');
    }, { anyBackend: true });

    step('chat: paste an image, ask, stop mid-answer within a second, then a second image in the same conversation', async () => {
      const full = cliAnswer(join(tmp, 'shot.png'), CHAT_QUESTION, model.path, maxTokens, shot).text;
      await w.command('Flamingo: Open Chat');
      await w.command('View: Toggle Maximized Panel'); // room for the conversation in the screenshots
      const chat = w.chatFrame();
      const input = chat.locator('textarea.input');
      await input.click();
      await w.paste(input, shot, 'shot.png', 'image/png');
      await chat.locator('.tray .chip').waitFor();
      await input.fill(CHAT_QUESTION);
      // Ask, watch tokens arrive in the page itself (a round trip per poll would miss a fast answer),
      // press Stop after the third one, and time how long the stream takes to end.
      const run = await chat.locator('#app').evaluate((app) => new Promise<{ stopMs: number; partial: string; lengths: number[] }>((resolve, reject) => {
        const lengths: number[] = [];
        let stoppedAt = 0;
        const timer = setTimeout(() => { observer.disconnect(); reject(new Error(`no streamed answer to stop (lengths seen: ${lengths.join(', ')})`)); }, 60_000);
        const observer = new MutationObserver(() => {
          const answers = app.querySelectorAll('.turn.answer');
          const answer = answers[answers.length - 1];
          if (!answer) return;
          const text = answer.querySelector('.text')?.textContent ?? '';
          if (!stoppedAt) {
            if (!answer.classList.contains('streaming')) { clearTimeout(timer); observer.disconnect(); reject(new Error(`the answer ended before stop could be pressed (lengths seen: ${lengths.join(', ')})`)); return; }
            if (text.length && text.length !== lengths[lengths.length - 1]) lengths.push(text.length);
            if (lengths.length >= 3) { stoppedAt = performance.now(); (app.querySelector('button.stop') as HTMLButtonElement).click(); }
          } else if (!answer.classList.contains('streaming')) {
            clearTimeout(timer);
            observer.disconnect();
            resolve({ stopMs: performance.now() - stoppedAt, partial: text, lengths });
          }
        });
        observer.observe(app, { subtree: true, childList: true, characterData: true, attributes: true });
        (app.querySelector('button.primary') as HTMLButtonElement).click(); // Ask
      }));
      await w.screenshot(`${backend}-chat-stopped`);
      const answer = chat.locator('.turn.answer').last();
      const partial = run.partial;
      const stopMs = Math.round(run.stopMs);
      assert.ok(stopMs < 1000, `the stream ended ${stopMs} ms after stop`);
      assert.ok(full.startsWith(partial) && partial.length < full.length, `stopped text is a strict prefix of the full answer (${partial.length} of ${full.length} characters)`);
      assert.match(await answer.locator('.note').innerText(), /Stopped/);
      console.log(`# ${label}: chat stream ended ${stopMs} ms after stop`);

      // The panel stays usable: a second image and question in the same conversation.
      const second = await secondPng();
      await input.click();
      await w.paste(input, second, 'editor.png', 'image/png');
      await input.fill('And this one?');
      await input.press('Enter');
      await chat.locator('.turn.answer').nth(1).waitFor();
      await chat.locator('.turn.answer.streaming').waitFor({ state: 'detached', timeout: 120_000 });
      const reply = chat.locator('.turn.answer').nth(1);
      assert.ok((await reply.locator('.text').innerText()).trim().length > 0, 'the second answer has text');
      assert.match(await reply.locator('.note').innerText(), /tokens/);
      assert.equal(await chat.locator('.turn.user .thumb').count(), 2, 'both images are in the conversation');
      await w.screenshot(`${backend}-chat-conversation`);
      await w.command('View: Toggle Maximized Panel');
    });

    let diagramAnswer: string | undefined;
    step('answers a pasted SVG diagram; an SVG\'s script and external reference neither run nor load', async () => {
      await w.openFile('diagram.md');
      await w.paste(w.editorInput(), Buffer.from(DIAGRAM_SVG), 'diagram.svg', 'image/svg+xml');
      await w.page.waitForFunction(() => /answering/.test(document.querySelector('.statusbar-item[id$="flamingo.status"]')?.textContent ?? ''), undefined, { timeout: 30_000 }).catch(() => undefined);
      await w.waitAnswered();
      diagramAnswer = await save(w, 'diagram.md');
      assert.ok(diagramAnswer.trim().length > 0, 'an answer was written');
      await w.screenshot(`${backend}-paste-svg`);

      await w.page.keyboard.press('Control+A');
      await w.page.keyboard.press('Delete');
      await w.paste(w.editorInput(), Buffer.from(hostileSvg(probe.url)), 'hostile.svg', 'image/svg+xml');
      await w.page.waitForFunction(() => /answering/.test(document.querySelector('.statusbar-item[id$="flamingo.status"]')?.textContent ?? ''), undefined, { timeout: 30_000 }).catch(() => undefined);
      await w.waitAnswered();
      assert.ok((await save(w, 'diagram.md')).trim().length > 0, 'the hostile SVG was still described');
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(probe.hits, [], 'nothing in the SVG ran or loaded');
      await clearDocument(w, 'diagram.md');
    });

    // Naming the nodes needs a model that reads the text in an image. The shipped model does not
    // yet (held-out label recall 0.15, models/flamingo-screens/MODEL_CARD.md), so the check runs
    // as a todo: its result is reported without failing the suite. The stories260K stand-in
    // ignores images, so there it is skipped.
    const trained = existsSync(join(TRAINED_MODEL, 'manifest.json'));
    it('a pasted SVG diagram is described by its nodes and labels', trained
      ? { todo: 'the shipped model does not read labels yet (model card: label recall 0.15)' }
      : { skip: 'needs the trained model (models/flamingo-screens); the stories260K stand-in ignores images' }, () => {
      const found = ['Browser', 'Server', 'Database'].filter((l) => diagramAnswer?.toLowerCase().includes(l.toLowerCase()));
      assert.ok(found.length >= 2, `the description names the diagram's nodes (found: ${found.join(', ') || 'none'}; answer: ${JSON.stringify(diagramAnswer)})`);
    });

    step('refuses bad images with a clear message, and the document stays usable', async () => {
      await w.openFile('scratch.md');
      const cases: Array<[string, Uint8Array, RegExp]> = [
        ['corrupt.png', await corruptPng(), /"corrupt\.png" could not be decoded as PNG/],
        ['empty.png', new Uint8Array(0), /"empty\.png" is empty \(0 bytes\)/],
        ['huge.png', hugePng(), /"huge\.png" is 20000x20000 pixels, larger than/],
        ['notes.png', Buffer.from('These are my notes, not a picture.\n'), /"notes\.png" is not a supported image or video/],
      ];
      for (const [name, bytes, message] of cases) {
        await w.paste(w.editorInput(), bytes, name, 'image/png');
        const toast = await w.waitNotification(message);
        assert.match(toast, /Flamingo/);
        await new Promise((r) => setTimeout(r, 400)); // let the toast finish sliding in
        await w.screenshot(`${backend}-bad-${name.replace('.', '-')}`);
        await w.clearNotifications();
        await w.waitAnswered();
      }
      await w.editorInput().focus();
      await w.page.keyboard.type('still usable');
      assert.equal(await save(w, 'scratch.md'), 'still usable');
      await clearDocument(w, 'scratch.md');
    }, { anyBackend: true });

    step('closing the panel mid-answer: the engine lives on hidden, the answer completes, the panel reopens as it was', async () => {
      await w.openFile('closing.md');
      const expected = explain.text.trim();
      await w.pasteAndTimeFirstToken(shot, 'shot.png', 'image/png', expected[0]);
      // "Hide 'Flamingo'" on the panel tab, as a person closes it.
      await w.page.locator('.part.panel .composite-bar .action-item', { hasText: 'Flamingo' }).first().click({ button: 'right' });
      await w.page.locator('.monaco-menu .action-item', { hasText: /^Hide 'Flamingo'/ }).first().hover();
      await w.page.keyboard.press('Enter');
      await w.page.locator('.part.panel .composite-bar .action-item', { hasText: 'Flamingo' }).waitFor({ state: 'detached', timeout: 5000 });
      const closedWhileAnswering = /answering/.test(await w.statusText());
      await w.waitAnswered();
      await w.screenshot(`${backend}-closed-mid-answer`);
      assert.equal(await save(w, 'closing.md'), expected, 'the answer completed in the document');
      assert.deepEqual((await w.notifications()).filter((t) => /Flamingo/.test(t)), [], 'no error');
      if (!closedWhileAnswering) console.log('# note: the answer had finished before the panel closed; the mid-answer case was not exercised this run');

      await clearDocument(w, 'closing.md');
      await w.pasteAndTimeFirstToken(shot, 'shot.png', 'image/png', expected[0]);
      await w.waitAnswered();
      assert.equal(await save(w, 'closing.md'), expected);
      await clearDocument(w, 'closing.md');
      await w.command('Flamingo: Open Chat');
      await w.page.locator('.part.panel .composite-bar .action-item', { hasText: 'Flamingo' }).waitFor({ timeout: 10_000 });
      await w.chatFrame().locator('.backend', { hasText: label }).waitFor({ timeout: 30_000 });
    }, { anyBackend: true });

    step('a model folder with a truncated file is refused with a clear message; fixing the setting recovers', async () => {
      const broken = truncatedModel(model.path, tmp);
      await w.updateSettings({ 'flamingo.modelPath': broken });
      // The panel keeps the message (a toast can be dismissed by the Escape that closes the settings editor).
      const message = w.chatFrame().getByText(/could not be loaded/).first();
      await message.waitFor({ timeout: 60_000 });
      assert.match(await message.innerText(), /"decoder\.onnx" has \d+ bytes, the manifest says \d+/);
      await w.page.locator('.notifications-toasts .notification-toast', { hasText: 'loading the model' }).waitFor({ state: 'detached', timeout: 10_000 });
      await w.screenshot(`${backend}-truncated-model`);
      await w.clearNotifications();
      await w.updateSettings({ 'flamingo.modelPath': model.path });
      await w.page.waitForFunction((l) => (document.querySelector('.statusbar-item[id$="flamingo.status"]')?.textContent ?? '').includes(l), label, { timeout: 120_000 });
      await w.openFile('scratch.md');
      await w.pasteAndTimeFirstToken(shot, 'shot.png', 'image/png', explain.text.trim()[0]);
      await w.waitAnswered();
      assert.equal(await save(w, 'scratch.md'), explain.text.trim());
      await clearDocument(w, 'scratch.md');
    }, { anyBackend: true });
  });
}

/** The engine's timing line for the last answer with this title, from the "Flamingo" output channel. */
function lastTimings(w: Workbench, title: string): string {
  const lines = w.readOutputChannel().split('\n').filter((l) => l.includes(`${title}: first token`));
  return lines.at(-1)?.replace(/^.*?: /, '') ?? '(not in the output channel yet)';
}

/** The first output channel line that matches, once it has been written. */
async function waitForLine(w: Workbench, pattern: RegExp, timeoutMs: number): Promise<string> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 500))) {
    const line = w.readOutputChannel().match(pattern)?.[0];
    if (line) return line;
  }
  throw new Error(`no line matching ${pattern} in the "Flamingo" output channel within ${timeoutMs / 1000} s`);
}

/** A loopback HTTP server that records every request: nothing in a pasted SVG may reach it. */
async function probeServer(): Promise<{ server: Server; url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => { hits.push(req.url ?? ''); res.end(); });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${port}`, hits };
}
