// The command line: `flamingo describe` streams an answer, --json prints one object, and
// every error is one line on stderr with exit code 1.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { randomWeights } from '../../src/builder/random-weights';
import { tinyNfnetConfig } from '../reference/tiny-configs';
import { TINY_TOKENS, tinyTokenizerJson } from '../unit/tiny-tokenizer';
import { buildBundle, testImage } from './helpers';

const config = tinyNfnetConfig();
config.lm = { ...config.lm, vocab_size: 276, max_seq_len: 64 };
const bundle = buildBundle('cli', config, randomWeights(config, 5), tinyTokenizerJson(), TINY_TOKENS);
after(() => bundle.remove());

const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });

async function writeImages(): Promise<{ png: string; gif: string; text: string }> {
  const img = testImage(24, 18, 2);
  const png = join(bundle.dir, 'shot.png');
  writeFileSync(png, await sharp(Buffer.from(img.data), { raw: { width: 24, height: 18, channels: 4 } }).png().toBuffer());
  const frames = Buffer.concat([0, 1, 2].map((s) => Buffer.from(testImage(24, 18, s).data)));
  const gif = join(bundle.dir, 'rec.gif');
  writeFileSync(gif, await sharp(frames, { raw: { width: 24, height: 54, channels: 4, pageHeight: 18 } }).gif({ delay: [1000, 1000, 1000] }).toBuffer());
  const text = join(bundle.dir, 'notes.png');
  writeFileSync(text, 'not an image');
  return { png, gif, text };
}

test('describe --json: one JSON object with text, tokens, timings and backend', async () => {
  const { png, gif } = await writeImages();
  for (const backend of ['wasm', 'node']) {
    const r = cli('describe', png, gif, '--model', bundle.dir, '--backend', backend, '--max-tokens', '6', '--prompt', 'hello', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.backend, backend === 'node' ? 'cpu' : 'wasm');
    assert.equal(typeof out.text, 'string');
    assert.ok(out.tokens > 0 && out.tokens <= 6);
    assert.equal(out.timings.generatedTokens, out.tokens);
    assert.equal(out.timings.promptTokens, 4); // BOS <image> <image> ▁hello
  }
});

test('describe streams the same text without --json', async () => {
  const { png } = await writeImages();
  const args = ['describe', png, '--model', bundle.dir, '--max-tokens', '8', '--temperature', '0'];
  const streamed = cli(...args), json = cli(...args, '--json');
  assert.equal(streamed.status, 0, streamed.stderr);
  assert.equal(streamed.stdout, `${JSON.parse(json.stdout).text}\n`);
});

test('errors: one line on stderr, exit code 1', async () => {
  const { png, text } = await writeImages();
  const cases: [string[], RegExp][] = [
    [['describe', text, '--model', bundle.dir], /notes\.png: not a readable PNG/],
    [['describe', png, '--model', join(bundle.dir, 'nowhere')], /cannot read "manifest\.json"/],
    [['describe', png, '--model', bundle.dir, '--backend', 'gpu'], /--backend must be wasm or node/],
    [['describe', png, '--model', bundle.dir, '--max-tokens', 'many'], /--max-tokens: "many"/],
    [['describe', '--model', bundle.dir], /no image given/],
    [['explain'], /unknown command "explain"/],
  ];
  for (const [args, message] of cases) {
    const r = cli(...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  }
});
