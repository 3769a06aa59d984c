// The same extension-host suite in a desktop VS Code downloaded by @vscode/test-electron, for
// machines that can reach its update server (this project's machines cannot: there the suite
// runs in code-server, test/e2e/extension-host.test.ts). Run: node out/extension-suite/electron.mjs
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { DESCRIBE_MOCKUP_PROMPT, EXPLAIN_SCREENSHOT_PROMPT } from '../../src/extension/prompts';
import { cliAnswer, longAnswerTokens, sampleScreenshot, testModel } from '../e2e/fixtures';
import { REPO } from '../e2e/harness';

const MAX_TOKENS = 64;
const tmp = mkdtempSync(join(tmpdir(), 'flamingo-electron-'));
const model = testModel(tmp);
const image = join(tmp, 'mockup.png');
const shot = await sampleScreenshot('login-form.png');
writeFileSync(join(tmp, 'fixture.json'), JSON.stringify({
  image, maxTokens: MAX_TOKENS, longTokens: longAnswerTokens(model.path),
  explain: cliAnswer(image, EXPLAIN_SCREENSHOT_PROMPT, model.path, MAX_TOKENS, shot).text,
  describe: cliAnswer(image, DESCRIBE_MOCKUP_PROMPT, model.path, MAX_TOKENS, shot).text,
}));
const workspace = join(tmp, 'workspace');
const settings = join(tmp, 'user-data/User');
for (const d of [workspace, settings]) mkdirSync(d, { recursive: true });
writeFileSync(join(settings, 'settings.json'), JSON.stringify({ 'flamingo.modelPath': model.path, 'flamingo.backend': 'wasm', 'flamingo.maxTokens': MAX_TOKENS }));

const code = await runTests({
  extensionDevelopmentPath: REPO,
  extensionTestsPath: join(REPO, 'out/extension-suite/index.js'),
  extensionTestsEnv: { FLAMINGO_SUITE_FIXTURE: join(tmp, 'fixture.json'), FLAMINGO_SUITE_REPORT: join(tmp, 'report.json') },
  launchArgs: [workspace, `--user-data-dir=${join(tmp, 'user-data')}`, '--disable-extensions', '--disable-workspace-trust'],
});
process.exit(code);

