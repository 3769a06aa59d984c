// The trainer's gradients are right: test/train/gradient_check.py compares model.py's
// gradients (vision encoder, resampler, gated cross-attention, LM) with those of the same
// model whose GELU is written out from elementwise ops. torch 1.13's own GELU backward is
// wrong when the gradient arrives in another memory layout; it corrupted stage 1 until
// model.gelu guarded against it (fp32: silently wrong; bf16: NaN losses). Stage 1's word loss,
// computed from the indices of its positive targets for speed, is checked against torch's BCE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const torch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const skip = torch.status !== 0 ? `${PYTHON} cannot import torch (scripts/setup.sh installs python3-torch)` : false;

let report: Record<string, number | boolean> | undefined;
function check() {
  if (!report) {
    const run = spawnSync(PYTHON, ['test/train/gradient_check.py'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    report = JSON.parse(run.stdout.trim().split('\n').pop()!);
  }
  return report as any;
}

test('the trainer\'s gradients match a GELU built from elementwise ops, and repeat exactly', { skip: skip || undefined }, (t) => {
  const r = check();
  t.diagnostic(`${r.parameters} parameters; max relative difference ${r.max_rel_diff.toExponential(2)}; ` +
    `torch's unguarded GELU: ${r.unguarded_max_rel_diff.toExponential(2)}`);
  assert.ok(r.parameters > 100, `only ${r.parameters} parameters had a gradient`);
  assert.ok(r.max_rel_diff < 1e-3, `gradients differ from the reference by ${r.max_rel_diff} (relative)`);
  assert.equal(r.repeat_identical, true, 'two identical backward passes gave different gradients');
});

test('stage 1\'s sparse word loss equals torch\'s dense BCE, value and gradient', { skip: skip || undefined }, (t) => {
  const r = check();
  t.diagnostic(`max relative difference ${r.sparse_bce_rel_diff.toExponential(2)}`);
  assert.ok(r.sparse_bce_rel_diff < 1e-5, `sparse BCE differs from the dense one by ${r.sparse_bce_rel_diff} (relative)`);
});
