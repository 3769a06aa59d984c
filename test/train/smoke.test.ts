// `npm run train -- --smoke`: every step of the recipe (data, three stages, export, bundle,
// eval) on a few samples, in a temporary folder; then checks what it wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBundle } from '../../src/flamingo';
import { folderSource } from '../../src/node/files';
import { readSafetensors } from '../../src/builder/safetensors';
import { maxDiffs, RUNTIMES } from './parity';
import { tokenizerMismatches } from './tokenizer-check';
import { maxPixelDiff, npyFrames, samplePng } from './pixels';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
function why(): string | false {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (scripts/setup.sh installs it)`;
  const torch = spawnSync(PYTHON, ['-c', 'import torch, numpy, PIL'], { encoding: 'utf8' });
  if (torch.status !== 0) return `${PYTHON} cannot import torch, numpy and PIL (scripts/setup.sh installs python3-torch)`;
  return false;
}
const skip = why();

test('npm run train -- --smoke runs every stage and writes a valid model', { skip: skip || undefined, timeout: 240_000 }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'flamingo-smoke-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const started = Date.now();
  const run = spawnSync(process.execPath, ['tools/train.mjs', '--smoke', '--out', out], { encoding: 'utf8' });
  assert.equal(run.status, 0, `train --smoke failed:\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
  t.diagnostic(`train --smoke took ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const report = JSON.parse(readFileSync(join(out, 'weights', 'training.json'), 'utf8'));
  for (const stage of ['vision', 'lm', 'flamingo']) assert.ok(report.stages[stage].steps >= 1, `stage ${stage} did not run`);

  const weights = readSafetensors(new Uint8Array(readFileSync(join(out, 'weights', 'model.safetensors'))));
  const config = JSON.parse(readFileSync(join(out, 'weights', 'config.json'), 'utf8'));
  for (const name of ['vision.pos_embed', 'resampler.latents', 'resampler.frame_embs', 'lm.tok_embeddings.weight', 'xattn.0.attn_gate']) {
    assert.ok(weights.has(name), `model.safetensors lacks ${name}`);
  }
  assert.deepEqual(weights.get('lm.tok_embeddings.weight')!.shape, [config.lm.vocab_size, config.lm.dim]);

  const bundle = await loadBundle(folderSource(join(out, 'bundle'))); // checks sizes, hashes, config
  assert.equal(bundle.manifest.name, 'flamingo-screens');
  for (const [name, ort] of RUNTIMES) {
    const diff = await maxDiffs(ort, join(out, 'bundle'), join(out, 'fixture'));
    assert.ok(diff.features <= 1e-3, `${name}: max |vision feature difference| ${diff.features} > 1e-3`);
    assert.ok(diff.logits <= 1e-3, `${name}: max |logit difference| ${diff.logits} > 1e-3`);
  }
  const { mismatches } = tokenizerMismatches(join(out, 'bundle', 'tokenizer.json'), join(out, 'fixture', 'tokenizer-check.json'));
  assert.deepEqual(mismatches, []);

  // The runtime's preprocessing gives the very bytes the trainer trained on.
  const frames = npyFrames(join(out, 'work', 'frames-train', 'frames.npy'));
  const samples = readFileSync(join(out, 'data', 'train', 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const tiles = bundle.manifest.preprocess.tiles;
  const perStill = tiles ? Number(tiles.global) + tiles.rows * tiles.cols : 1;
  let first = 0, compared = 0;
  for (const s of samples) {
    if (s.kind !== 'recording' && compared++ < 4) {
      const diff = await maxPixelDiff(samplePng(join(out, 'data', 'train'), s.id), frames, first, bundle.manifest.preprocess);
      assert.equal(diff, 0, `sample ${s.id}: runtime pixels differ from the trainer's by up to ${diff}`);
    }
    first += s.kind === 'recording' ? s.files.length : perStill;
  }

  const evaluation = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8'));
  assert.ok('component-type F1' in evaluation.model && 'component-type F1' in evaluation.baseline, 'eval.json lacks the table');
  const reading = JSON.parse(readFileSync(join(out, 'reading.json'), 'utf8'));
  for (const gates of ['trained gates', 'all gates 0 (bare LM)']) {
    for (const kind of ['label tokens', 'other answer tokens']) assert.ok(Number.isFinite(reading[gates][kind].loss), `reading.json: no ${gates} / ${kind} loss`);
  }
});
