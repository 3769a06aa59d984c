// Host session options reach every onnxruntime session (CreateOptions.sessionOptions), the
// engine keeps the options it owns, and the CLI's --threads gives the same greedy tokens.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { randomWeights } from '../../src/builder/random-weights';
import { FlamingoModel, loadBundle } from '../../src/flamingo';
import { folderSource } from '../../src/node/files';
import { loadOrt } from '../../src/node/ort';
import { tinyNfnetConfig } from '../reference/tiny-configs';
import { TINY_TOKENS, tinyTokenizerJson } from '../unit/tiny-tokenizer';
import { buildBundle, collect, testImage } from './helpers';

const config = tinyNfnetConfig();
config.lm = { ...config.lm, vocab_size: 276, max_seq_len: 64 }; // the tiny tokenizer's vocabulary
const bundle = buildBundle('session-options', config, randomWeights(config, 9), tinyTokenizerJson(), TINY_TOKENS);
after(() => bundle.remove());

test('an invalid thread count in sessionOptions fails with onnxruntime-node\'s own error', async () => {
  const ort = await loadOrt('node');
  await assert.rejects(
    FlamingoModel.create(await loadBundle(folderSource(bundle.dir)), ort, { sessionOptions: { intraOpNumThreads: -1 } }),
    /'intraOpNumThreads' is invalid: -1/, // onnxruntime-node's message, not the engine's
  );
});

test('sessionOptions with 1 thread and no spinning give the same greedy tokens; engine-owned options are ignored', async () => {
  const ort = await loadOrt('node');
  const answer = async (sessionOptions?: Parameters<typeof FlamingoModel.create>[2]) => {
    const model = await FlamingoModel.create(await loadBundle(folderSource(bundle.dir)), ort, sessionOptions);
    try {
      return (await collect(model.generate([{ type: 'image', image: testImage(20, 12, 3) }, { type: 'text', text: 'hello' }], { temperature: 0, maxTokens: 8 }))).join('');
    } finally {
      await model.dispose();
    }
  };
  const plain = await answer();
  const single = await answer({ sessionOptions: { intraOpNumThreads: 1, extra: { session: { 'intra_op.allow_spinning': '0' } } } });
  assert.equal(single, plain);
  // A provider that does not exist would fail session creation if it got through.
  const owned = await answer({ sessionOptions: { executionProviders: ['no-such-provider'], intraOpNumThreads: 1 } });
  assert.equal(owned, plain);
});

test('the CLI: --threads 1 gives the same tokens on both backends; a bad count is refused', async () => {
  const png = join(bundle.dir, 'shot.png');
  const img = testImage(24, 18, 4);
  writeFileSync(png, await sharp(Buffer.from(img.data), { raw: { width: 24, height: 18, channels: 4 } }).png().toBuffer());
  const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.mjs', 'describe', png, '--model', bundle.dir, '--max-tokens', '8', '--temperature', '0', '--json', ...args], { encoding: 'utf8', timeout: 60_000 });
  for (const backend of ['node', 'wasm']) {
    const plain = cli('--backend', backend), single = cli('--backend', backend, '--threads', '1');
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(single.status, 0, single.stderr);
    assert.equal(JSON.parse(single.stdout).text, JSON.parse(plain.stdout).text, backend);
  }
  for (const bad of ['0', 'two', '1.5']) {
    const r = cli('--threads', bad);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`--threads: "${bad.replace('.', '\\.')}" is not a valid value`));
  }
});
