// The chat panel end to end in code-server on WASM, driven through Chromium like a person would:
// GIFs and recordings (made here: the GIF with sharp, the recordings with this Chromium's own
// MediaRecorder), a real drop event, Copy and Insert of an answer, and the view going away in the
// middle of an answer. None of it depends on the backend, so it runs once, on WASM (but for the
// view going away mid-answer, which needs answers slow enough to act during one: SwiftShader).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { FrameLocator, Locator } from 'playwright-core';
import { VIEW_CLOSED_MESSAGE } from '../../src/extension/engineClient';
import { EXPLAIN_SCREENSHOT_PROMPT } from '../../src/extension/prompts';
import {
  animatedGif, cliAnswer, longAnswerTokens, missingModel, recordCanvas, sampleScreenshot, testModel, videoSampling, type Recordings,
} from './fixtures';
import { CHROMIUM, clearDocument, missingPrerequisite, packageVsix, save, Workbench } from './harness';

const QUESTION = 'What does this screen show?';
/** Long enough for a few frames at one per second; short enough to record while the test waits. */
const RECORD_MS = 2500;

const skip = missingPrerequisite() ?? missingModel();

describe('the Flamingo chat panel in code-server', { skip: skip && `skipped: ${skip}` }, () => {
  let w: Workbench;
  let tmp: string;
  let model: { path: string; trained: boolean };
  let maxTokens: number;
  let sampling: { fps: number; maxFrames: number };
  let shot: Buffer;
  let mockup: Buffer;
  let recordings: Recordings;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'flamingo-e2e-chat-'));
    model = testModel(tmp);
    // The longest answers the model allows: the checks watch them stream in.
    maxTokens = longAnswerTokens(model.path);
    sampling = videoSampling(model.path);
    shot = await sampleScreenshot('terminal-error.png');
    mockup = await sampleScreenshot('login-form.png');
    w = await Workbench.start('chat', {
      vsix: packageVsix(tmp), webgpu: true, // SwiftShader, for the one check that needs a slow answer
      files: { 'copied.md': '', 'insert.md': 'before\nafter\n', 'closing.md': '' },
      settings: {
        'flamingo.modelPath': model.path, 'flamingo.backend': 'wasm', 'flamingo.maxTokens': maxTokens,
        'editor.pasteAs.preferences': ['flamingo.explain'], 'editor.editContext': false,
        'editor.quickSuggestions': { other: false, comments: false, strings: false }, 'editor.suggestOnTriggerCharacters': false,
        'editor.acceptSuggestionOnEnter': 'off', 'workbench.secondarySideBar.defaultVisibility': 'hidden',
        '[markdown]': { 'editor.wordWrap': 'off' }, 'files.autoSave': 'off',
      },
    });
    // Copy goes through the browser's clipboard, as in a person's browser that allowed it.
    await w.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: w.origin });
    await w.open();
    await w.page.locator('.statusbar-item[id$="flamingo.status"]').waitFor({ timeout: 60_000 });
    recordings = await recordCanvas(w.page.context(), RECORD_MS);
    console.log(`# MediaRecorder in ${CHROMIUM}: ${recordings.support}`);
    await w.page.bringToFront();
    await w.command('Flamingo: Open Chat');
    await w.chatFrame().locator('.backend', { hasText: 'WASM' }).waitFor({ timeout: 120_000 });
  });

  after(async () => {
    await w?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** A test that leaves a screenshot when it fails, and no menu or widget open after it. */
  const step = (name: string, body: (t: TestContext) => Promise<void>) => it(name, async (t) => {
    try {
      await body(t);
    } catch (e) {
      await w?.screenshot(`chat-FAILED-${name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
      throw e;
    } finally {
      await w?.page.keyboard.press('Escape').catch(() => undefined);
      // A mouse move with no button pressed ends any drag the workbench still thinks is on.
      await w?.page.mouse.move(1, 1).catch(() => undefined);
    }
  });

  /** The CLI's greedy answer to the chat question for these bytes (written to `name` first). */
  const cli = (name: string, bytes: Uint8Array, prompt = QUESTION, tokens = maxTokens) => cliAnswer(join(tmp, name), prompt, model.path, tokens, bytes).text;

  step('a GIF longer than the frame cap: the attachment shows the frames taken (capped), and the answer is the command line\'s for the same GIF', async () => {
    // Two frames a second for two seconds more than the cap allows at the bundle's rate.
    const seconds = Math.ceil((sampling.maxFrames + 2) / sampling.fps);
    const gif = await animatedGif(seconds * 2, 500);
    const taken = Math.min(sampling.maxFrames, Math.ceil(seconds * sampling.fps));
    assert.ok(Math.ceil(seconds * sampling.fps) > sampling.maxFrames, 'the GIF is long enough to hit the cap');
    const expected = cli('clip.gif', gif);
    const chat = await newChat(w);
    await w.paste(chat.locator('textarea.input'), gif, 'clip.gif', 'image/gif');
    await chat.locator('.tray .chip').waitFor();
    const answer = await ask(chat, QUESTION);
    await w.screenshot('chat-gif');
    assert.equal(answer.text, expected, 'the command line\'s answer for the same GIF and question');
    assert.ok(answer.lengths.length > 1, `the answer streamed in (text lengths seen: ${answer.lengths.join(', ')})`);
    assert.match(answer.note, /\d+ tokens/);
    assert.equal(await framesShown(chat), `${taken} frames`);
  });

  for (const kind of ['webm', 'mp4'] as const) {
    step(`a ${kind === 'webm' ? 'WebM' : 'MP4'} screen recording: one frame a second is taken, and an answer streams`, async (t) => {
      const recording = recordings[kind];
      if (!recording) {
        t.skip(`this Chromium's MediaRecorder cannot make a playable ${kind.toUpperCase()} (${recordings.support}), and no other encoder is installed here`);
        return;
      }
      const chat = await newChat(w);
      const name = `recording.${kind}`;
      const type = recording.type.split(';')[0];
      // One pasted, the other dropped: both ways in.
      if (kind === 'webm') await w.paste(chat.locator('textarea.input'), recording.bytes, name, type);
      else await drag(chat.locator('main.log'), ['dragenter', 'dragover', 'drop'], { bytes: recording.bytes, name, type });
      await chat.locator('.tray .chip').waitFor();
      const answer = await ask(chat, QUESTION);
      await w.screenshot(`chat-${kind}`);
      assert.equal(answer.error, '', 'no error');
      assert.ok(answer.text.trim().length > 0, 'the answer has text');
      assert.ok(answer.lengths.length > 1, `the answer streamed in (text lengths seen: ${answer.lengths.join(', ')})`);
      assert.match(answer.note, /\d+ tokens/);
      if (!model.trained) {
        // The stand-in's vision layers are gated to zero, so media do not change its answer: the
        // command line's answer for any one image and the same question.
        assert.equal(answer.text, cli('shot.png', shot), 'the stand-in model\'s answer for one medium and this question');
      }
      // Recorded for RECORD_MS; MediaRecorder's first and last frames land within a few hundred ms of that.
      const frames = Number((await framesShown(chat)).match(/^(\d+) frames?$/)?.[1]);
      const low = Math.min(sampling.maxFrames, Math.ceil(((RECORD_MS - 300) / 1000) * sampling.fps));
      const high = Math.min(sampling.maxFrames, Math.ceil(((RECORD_MS + 300) / 1000) * sampling.fps));
      assert.ok(frames >= low && frames <= high, `${frames} frames taken from ${RECORD_MS} ms at ${sampling.fps} per second (expected ${low}-${high})`);
      console.log(`# ${recording.type}: ${recording.bytes.length} bytes, ${frames} frames taken`);
    });
  }

  step('an image dropped on the chat (a real drop event in the webview) is attached and answered', async () => {
    const expected = cli('mockup.png', mockup);
    const chat = await newChat(w);
    const app = chat.locator('#app');
    const file = { bytes: mockup, name: 'mockup.png', type: 'image/png' };
    const log = chat.locator('main.log');
    await drag(log, ['dragenter', 'dragover'], file);
    assert.match(await app.getAttribute('class') ?? '', /\bdragging\b/, 'the panel shows where to drop');
    await w.screenshot('chat-dragging');
    // VS Code's webview host hands a file drag the page leaves to it to the workbench: it turns
    // pointer events off on the panel's frame, and a real drop then never reaches the panel.
    await new Promise((r) => setTimeout(r, 500));
    const pointerEvents = await w.page.locator('iframe.webview.ready').evaluate((el) => (el as HTMLElement).style.pointerEvents);
    assert.notEqual(pointerEvents, 'none', 'the panel keeps the drag');
    await drag(log, ['drop'], file);
    await chat.locator('.tray .chip img[title="mockup.png"]').waitFor();
    assert.doesNotMatch(await app.getAttribute('class') ?? '', /\bdragging\b/);
    // Something that is not an image is refused, and says so.
    await drag(log, ['dragenter', 'dragover', 'drop'], { bytes: Buffer.from('notes\n'), name: 'notes.txt', type: 'text/plain' });
    await chat.locator('.notice', { hasText: 'Only images, GIFs and WebM/MP4 recordings can be dropped here.' }).waitFor({ timeout: 5000 });
    assert.equal(await chat.locator('.tray .chip').count(), 1, 'only the image is attached');
    const answer = await ask(chat, QUESTION);
    assert.equal(answer.text, expected, 'the command line\'s answer for the same image and question');
  });

  step('Copy puts the answer on the clipboard; Insert puts it at the cursor of the active editor, one undo step', async () => {
    const expected = cli('shot.png', shot);
    const chat = await newChat(w);
    await w.paste(chat.locator('textarea.input'), shot, 'shot.png', 'image/png');
    await chat.locator('.tray .chip').waitFor();
    assert.equal((await ask(chat, QUESTION)).text, expected);
    const text = expected.trim();
    const answer = chat.locator('.turn.answer').last();

    await answer.getByRole('button', { name: 'Copy' }).click();
    await w.page.locator('.statusbar-item', { hasText: 'answer copied' }).first().waitFor({ timeout: 10_000 });
    await w.openFile('copied.md');
    await w.page.keyboard.press('Control+V');
    assert.equal(await save(w, 'copied.md'), text, 'pasting the clipboard gives the answer');

    await w.openFile('insert.md');
    await w.page.keyboard.press('Control+Home');
    await w.page.keyboard.press('ArrowDown'); // the start of "after"
    await answer.getByRole('button', { name: 'Insert into editor' }).click();
    await w.page.locator('.tab.dirty[data-resource-name="insert.md"]').waitFor({ timeout: 10_000 });
    await w.screenshot('chat-inserted');
    await w.openFile('insert.md');
    assert.equal(await save(w, 'insert.md'), `before\n${text}after\n`, 'the answer at the cursor');
    await w.page.keyboard.press('Control+Z');
    assert.equal(await save(w, 'insert.md'), 'before\nafter\n', 'one undo takes the whole answer out');
  });

  step('the chat view goes away mid-answer (moved to the secondary side bar): a clear message, the document keeps only what came, the next request works', async (t) => {
    // On WASM the whole answer streams within a second of its first token, faster than any UI
    // action: on SwiftShader's software GPU each token takes seconds, time to move the view.
    const tokens = 8;
    await w.updateSettings({ 'flamingo.backend': 'webgpu', 'flamingo.maxTokens': tokens });
    await w.page.waitForFunction(() => (document.querySelector('.statusbar-item[id$="flamingo.status"]')?.textContent ?? '').includes('· WebGPU'), undefined, { timeout: 120_000 });
    const expected = cli('shot.png', shot, EXPLAIN_SCREENSHOT_PROMPT, tokens).trim();
    await w.openFile('closing.md');
    await w.pasteAndTimeFirstToken(shot, 'shot.png', 'image/png', expected[0]);
    // Moving a view is the one way in the UI that disposes it (hiding keeps it, and its page, alive).
    await w.command('View: Move View');
    await pickQuickInputRow(w, 'Chat', 'Flamingo');
    await pickQuickInputRow(w, 'New Secondary Side Bar Entry');
    try {
      const movedWhileAnswering = /answering/.test(await w.statusText());
      if (!movedWhileAnswering) {
        t.skip('the answer had finished before the view moved: the mid-answer case was not exercised this run');
        return;
      }
      const toast = await w.waitNotification(/closed before the answer finished/, 30_000);
      assert.ok(toast.includes(VIEW_CLOSED_MESSAGE), `the message: ${toast}`);
      await w.waitAnswered();
      await w.screenshot('chat-view-moved-mid-answer');
      await w.clearNotifications();
      await w.openFile('closing.md');
      const partial = await save(w, 'closing.md');
      assert.ok(expected.startsWith(partial) && partial.length > 0 && partial.length < expected.length,
        `the document holds the start of the answer and nothing else (${partial.length} of ${expected.length} characters): ${JSON.stringify(partial.slice(0, 80))}`);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(await w.page.locator('.tab.dirty[data-resource-name="closing.md"]').count(), 0, 'nothing is written after the message');

      // The next request is answered in full, by the view in its new place.
      await clearDocument(w, 'closing.md');
      await w.pasteAndTimeFirstToken(shot, 'shot.png', 'image/png', expected[0]);
      await w.waitAnswered();
      assert.equal(await save(w, 'closing.md'), expected);
      assert.deepEqual((await w.notifications()).filter((n) => /Flamingo/.test(n)), [], 'no error this time');
    } finally {
      await w.command('View: Reset View Locations');
      await w.updateSettings({ 'flamingo.backend': 'wasm', 'flamingo.maxTokens': maxTokens });
    }
    await w.command('Flamingo: Open Chat');
    await w.chatFrame().locator('.backend', { hasText: 'WASM' }).waitFor({ timeout: 120_000 });
  });

  step('"auto" passes over the software GPU (SwiftShader) and loads on WASM, and says why', async () => {
    const loads = () => w.readOutputChannel().split('\n').filter((l) => / loaded from .* in \d+ ms on /.test(l));
    const before = loads().length;
    await w.updateSettings({ 'flamingo.backend': 'auto' });
    try {
      const deadline = Date.now() + 120_000;
      while (loads().length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      const loaded = loads().pop() ?? '';
      assert.match(loaded, / on wasm, decoder on wasm/, `the load after switching to auto: ${loaded}`);
      assert.match(w.readOutputChannel(), /WebGPU adapter is a software GPU: using WebAssembly/);
    } finally {
      await w.updateSettings({ 'flamingo.backend': 'wasm' });
    }
  });
});

/** Starts a new conversation in the chat panel and returns its document. */
async function newChat(w: Workbench): Promise<FrameLocator> {
  await w.command('Flamingo: Open Chat');
  const chat = w.chatFrame();
  await chat.getByRole('button', { name: 'New chat' }).click();
  await chat.locator('.turn').first().waitFor({ state: 'detached' });
  return chat;
}

/**
 * Asks the question typed into the panel and waits for the whole answer, watching it in the page
 * itself (a round trip per poll would miss a fast stream): the text lengths seen as it grew.
 */
async function ask(chat: FrameLocator, question: string): Promise<{ text: string; note: string; error: string; lengths: number[] }> {
  return chat.locator('#app').evaluate((app, q) => new Promise((resolve, reject) => {
    const count = app.querySelectorAll('.turn.answer').length;
    const lengths: number[] = [];
    const timer = setTimeout(() => { observer.disconnect(); reject(new Error(`no finished answer after 180 s (text lengths seen: ${lengths.join(', ')})`)); }, 180_000);
    const observer = new MutationObserver(() => {
      const answer = app.querySelectorAll('.turn.answer')[count];
      if (!answer) return;
      const text = answer.querySelector('.text')?.textContent ?? '';
      if (text.length && text.length !== lengths[lengths.length - 1]) lengths.push(text.length);
      if (answer.classList.contains('streaming')) return;
      clearTimeout(timer);
      observer.disconnect();
      resolve({ text, note: answer.querySelector('.note')?.textContent ?? '', error: answer.querySelector('.error')?.textContent ?? '', lengths });
    });
    observer.observe(app, { subtree: true, childList: true, characterData: true, attributes: true });
    (app.querySelector('textarea.input') as HTMLTextAreaElement).value = q;
    (app.querySelector('button.primary') as HTMLButtonElement).click(); // Ask
  }), question);
}

/** The frame count shown under the last media item of the last question. */
async function framesShown(chat: FrameLocator): Promise<string> {
  return (await chat.locator('.turn.user').last().locator('figure.media .frames').last().innerText()).trim();
}

/**
 * Drag events carrying a file, dispatched in the webview's page as the browser does for a drag
 * from outside (an OS drag is not available headless).
 */
async function drag(target: Locator, events: Array<'dragenter' | 'dragover' | 'drop'>, file: { bytes: Uint8Array; name: string; type: string }): Promise<void> {
  await target.evaluate((el, [types, data, name, type]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name, { type }));
    for (const t of types) el.dispatchEvent(new DragEvent(t, { dataTransfer: dt, bubbles: true, cancelable: true, composed: true }));
  }, [events, Buffer.from(file.bytes).toString('base64'), file.name, file.type] as const);
}

/** Picks the row of the open quick pick labelled `label` (in the group named `group`, when given). */
async function pickQuickInputRow(w: Workbench, label: string, group?: string): Promise<void> {
  const rows = w.page.locator('.quick-input-list .monaco-list-row');
  await rows.first().waitFor();
  const index = await rows.evaluateAll((els, [l, g]) => {
    // Rows are positioned, not ordered, in the DOM; a group's name is a separator row or a label on its first row.
    const sorted = els.map((el) => ({ el, i: Number(el.getAttribute('data-index')) })).sort((a, b) => a.i - b.i);
    let currentGroup = '';
    for (const { el, i } of sorted) {
      const text = el.querySelector('.label-name')?.textContent?.trim() ?? '';
      if (el.querySelector('.quick-input-list-separator-as-item')) { currentGroup = text; continue; }
      currentGroup = el.querySelector('.quick-input-list-separator')?.textContent?.trim() || currentGroup;
      if (text === l && (!g || currentGroup.includes(g))) return i;
    }
    return -1;
  }, [label, group ?? ''] as const);
  if (index < 0) throw new Error(`no quick pick row "${label}"${group ? ` under "${group}"` : ''}: ${(await rows.allInnerTexts()).join(' | ')}`);
  await rows.and(w.page.locator(`[data-index="${index}"]`)).click();
}
