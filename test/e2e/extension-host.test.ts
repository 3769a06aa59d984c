// Runs test/extension-suite inside the real extension host: code-server with the smoke-test
// driver, the extension loaded from this folder (extensionDevelopmentPath) and the suite as
// extensionTestsPath; VS Code reports the exit code through window.codeAutomationExit.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DESCRIBE_MOCKUP_PROMPT, EXPLAIN_SCREENSHOT_PROMPT } from '../../src/extension/prompts';
import { cliAnswer, longAnswerTokens, missingModel, sampleScreenshot, testModel } from './fixtures';
import { missingPrerequisite, REPO, Workbench } from './harness';

const SUITE = join(REPO, 'out/extension-suite/index.js');
const MAX_TOKENS = 64;

const skip = missingPrerequisite() ?? missingModel() ?? (existsSync(SUITE) ? undefined : `${SUITE} is not built: run node esbuild.mjs`);

describe('extension integration tests in the real extension host', { skip: skip && `skipped: ${skip}` }, () => {
  let tmp: string;
  let w: Workbench;
  const report = () => join(tmp, 'report.json');

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'flamingo-exthost-'));
    const model = testModel(tmp);
    const image = join(tmp, 'mockup.png');
    const shot = await sampleScreenshot('login-form.png');
    const fixture = {
      image, maxTokens: MAX_TOKENS, longTokens: longAnswerTokens(model.path),
      explain: cliAnswer(image, EXPLAIN_SCREENSHOT_PROMPT, model.path, MAX_TOKENS, shot).text,
      describe: cliAnswer(image, DESCRIBE_MOCKUP_PROMPT, model.path, MAX_TOKENS, shot).text,
    };
    writeFileSync(join(tmp, 'fixture.json'), JSON.stringify(fixture));
    w = await Workbench.start('exthost', {
      serverArgs: ['--vscode-option', 'enable-smoke-test-driver'],
      env: { FLAMINGO_SUITE_FIXTURE: join(tmp, 'fixture.json'), FLAMINGO_SUITE_REPORT: report() },
      settings: { 'flamingo.modelPath': model.path, 'flamingo.backend': 'wasm', 'flamingo.maxTokens': MAX_TOKENS, 'workbench.secondarySideBar.defaultVisibility': 'hidden' },
    });
  });

  after(async () => {
    await w?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('every check in test/extension-suite passes', async () => {
    let exit: (code: number) => void;
    const exited = new Promise<number>((r) => { exit = r; });
    await w.page.exposeFunction('codeAutomationExit', (code: number) => exit(code));
    const remote = (p: string) => `vscode-remote://127.0.0.1:${w.port}${p}`;
    const payload = JSON.stringify([['extensionDevelopmentPath', remote(REPO)], ['extensionTestsPath', remote(SUITE)]]);
    await w.open(`&payload=${encodeURIComponent(payload)}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((_, reject) => { timer = setTimeout(() => reject(new Error('the suite did not finish in 5 minutes')), 300_000); });
    const code = await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    await w.screenshot('extension-host-suite');
    const results = existsSync(report()) ? JSON.parse(readFileSync(report(), 'utf8')) as Array<{ name: string; ok: boolean; error?: string }> : [];
    if (results.some((r) => !r.ok)) console.log(`# the "Flamingo" output channel:\n${w.readOutputChannel().replace(/^/gm, '#   ')}`);
    for (const r of results) console.log(`# ${r.ok ? 'ok' : 'FAILED'} - ${r.name}${r.error ? `\n${r.error}` : ''}`);
    assert.ok(results.length > 0, 'the suite wrote its report');
    assert.deepEqual(results.filter((r) => !r.ok).map((r) => r.name), []);
    assert.equal(code, 0);
  });
});
