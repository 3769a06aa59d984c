// How long the code-server workbench freezes while the chat webview loads the model, warms it
// up and answers pastes. In code-server the webview's frames share the workbench's main thread,
// so whatever runs on the webview's page stops the workbench too (typing, the message relay).
// A 20 ms timer on the workbench page counts the gaps over 100 ms.
// Usage: npm run bench:workbench [-- --runs 3]   (prints a table, writes bench/results-workbench.md)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { missingPrerequisite, packageVsix, Workbench } from '../../test/e2e/harness';
import { missingModel, sampleScreenshot, testModel } from '../../test/e2e/fixtures';

const { values: a } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(a.runs);
const GAP_MS = 100;
const SETTLE_MS = 8000;

interface Phase { name: string; gaps: number[]; waitMs?: number }

/** Gaps over GAP_MS between the workbench's timer ticks since the last call (and restarts the count). */
async function takeGaps(w: Workbench): Promise<number[]> {
  return w.page.evaluate((limit) => {
    const g = globalThis as unknown as { __ticks: number[] };
    const t = g.__ticks;
    g.__ticks = [performance.now()];
    return t.slice(1).map((v, i) => v - t[i]).filter((d) => d > limit).map(Math.round);
  }, GAP_MS);
}

async function waitForLine(w: Workbench, re: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = w.readOutputChannel().split('\n').find((l) => re.test(l));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no output line like ${re} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function oneRun(run: number): Promise<Phase[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-workbench-'));
  const model = testModel(tmp);
  const w = await Workbench.start(`bench-workbench-${run}`, {
    vsix: packageVsix(tmp), files: { 'first.md': '# Notes\n\n', 'second.md': '# Notes\n\n' },
    settings: { 'flamingo.modelPath': model.path, 'flamingo.backend': 'wasm', 'editor.pasteAs.preferences': ['flamingo.explain'],
      'workbench.secondarySideBar.defaultVisibility': 'hidden', 'files.autoSave': 'off', 'editor.editContext': false },
  });
  try {
    await w.open();
    await w.page.evaluate(() => {
      const g = globalThis as unknown as { __ticks: number[] };
      g.__ticks = [performance.now()];
      setInterval(() => g.__ticks.push(performance.now()), 20);
    });
    await w.page.locator('.statusbar-item[id$="flamingo.status"]').waitFor({ timeout: 60_000 });
    await takeGaps(w);
    const opened = Date.now();
    await w.command('Flamingo: Open Chat');
    await waitForLine(w, /warm-up: /, 180_000);
    const phases: Phase[] = [{ name: 'open chat: load + warm-up', gaps: await takeGaps(w), waitMs: Date.now() - opened }];
    const shot = await sampleScreenshot('terminal-error.png');
    for (const [name, file] of [['first paste', 'first.md'], ['second paste', 'second.md']]) {
      // A file of its own (a line of an earlier answer could pass for the first token), opened
      // a while before: VS Code activates its markdown support for seconds after the first
      // markdown file opens, and a paste then waits for it.
      await w.openFile(file);
      await w.page.keyboard.press('Control+End');
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      await takeGaps(w);
      const firstTokenMs = await w.pasteAndTimeFirstToken(shot, 'shot.png', 'image/png', 'A');
      await w.waitAnswered();
      phases.push({ name, gaps: await takeGaps(w), waitMs: firstTokenMs });
    }
    return phases;
  } finally {
    await w.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const missing = missingPrerequisite() ?? missingModel();
if (missing) throw new Error(missing);
const results: Phase[][] = [];
for (let r = 1; r <= runs; r++) {
  results.push(await oneRun(r));
  console.log(`run ${r}: ${results[r - 1].map((p) => `${p.name}: ${p.gaps.length} gaps, longest ${Math.max(0, ...p.gaps)} ms`).join('; ')}`);
}

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
const lines = [
  `# Workbench freezes (code-server, WASM, bundled model)`,
  '',
  `Commit ${commit}, ${new Date().toISOString().slice(0, 16)} UTC, ${runs} runs. A 20 ms timer on the workbench page; every gap`,
  `over ${GAP_MS} ms is a freeze. "wait" is the time from opening the chat to the warm-up's log line, or from the paste to the`,
  `first token in the document. Each paste goes into a markdown file opened ${SETTLE_MS / 1000} s before. Each cell lists the runs.`,
  '',
  '| phase | freezes over 100 ms | longest (ms) | frozen in all (ms) | wait (ms) |',
  '|---|---|---|---|---|',
  ...results[0].map((p, i) => {
    const per = results.map((r) => r[i]);
    const list = (f: (x: Phase) => number) => per.map(f).map(Math.round).join(', ');
    return `| ${p.name} | ${list((x) => x.gaps.length)} | ${list((x) => Math.max(0, ...x.gaps))} | ${list((x) => x.gaps.reduce((s, g) => s + g, 0))} | ${list((x) => x.waitMs ?? 0)} |`;
  }),
];
console.log(lines.join('\n'));
writeFileSync('bench/results-workbench.md', lines.join('\n') + '\n');
