// The TypeScript reference against a second implementation of docs/model-spec.md written in
// PyTorch (test/reference/torch_spec_check.py), on random weights: vision, resampler, decoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomWeights, Rng } from '../../src/builder/random-weights';
import { type HostTensor, tensor } from '../../src/builder/weights';
import { decoderForward, resamplerForward, visionForward } from '../reference';
import { tinyNfnetConfig, tinyVitConfig } from '../reference/tiny-configs';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const skip = hasTorch ? false : `${PYTHON} with torch is not available`;

const plain = (t: HostTensor) => ({ shape: t.shape, data: [...t.data] });

test('reference == PyTorch implementation of the spec (nfnet and vit models, two images, masks, gates 0.5)', { skip }, () => {
  const cases: Record<string, unknown> = {};
  for (const [label, config] of [['nfnet', tinyNfnetConfig()], ['vit', tinyVitConfig()]] as const) {
    const weights = randomWeights(config, 1);
    const [h, w] = config.vision.image_size;
    const rng = new Rng(2);
    const image = (frames: number) => tensor([frames, 3, h, w], Float32Array.from({ length: frames * 3 * h * w }, () => rng.normal()));
    const [pixels, pixels2] = [image(3), image(1)];
    const features = visionForward(config, weights, pixels);
    const latents = [resamplerForward(config, weights, features), resamplerForward(config, weights, visionForward(config, weights, pixels2))];
    const ids = [1, 5, 18, 7, 9, 18, 3, 11];
    const mids = [0, 0, 1, 1, 1, 2, 2, 2];
    const logits = decoderForward(config, weights, ids, mids, latents);
    cases[label] = {
      config, ids, mids, pixels: plain(pixels), pixels2: plain(pixels2),
      weights: Object.fromEntries([...weights].map(([name, t]) => [name, plain(t)])),
      features: [...features.data], latents: latents.flatMap((l) => [...l.data]), logits: [...logits.data],
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'flamingo-ref-'));
  try {
    writeFileSync(join(dir, 'case.json'), JSON.stringify(cases));
    const run = spawnSync(PYTHON, ['test/reference/torch_spec_check.py', join(dir, 'case.json')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as Record<string, Record<string, number>>;
    for (const [label, diffs] of Object.entries(report)) {
      for (const [name, diff] of Object.entries(diffs)) {
        if (name !== 'logits_absmax') assert.ok(diff < 1e-5, `${label} ${name}: max abs difference ${diff}`);
      }
      assert.ok(diffs.logits_absmax > 1, `${label}: logits too small to compare (${diffs.logits_absmax})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
