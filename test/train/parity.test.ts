// The shipped bundle reproduces the trainer's PyTorch vision features and logits (fixture
// written at export time) within 1e-3, on onnxruntime-node and on onnxruntime-web's WASM build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { maxDiffs, RUNTIMES } from './parity';

const BUNDLE = 'models/flamingo-screens';
const FIXTURE = 'test/train/fixtures/flamingo-screens';
const missing = !existsSync(`${BUNDLE}/manifest.json`) ? `${BUNDLE} is not built yet`
  : !existsSync(`${FIXTURE}/fixture.json`) ? `${FIXTURE} is missing` : false;

for (const [name, ort] of RUNTIMES) {
  test(`bundled model matches PyTorch vision features and logits on ${name}`, { skip: missing || undefined }, async (t) => {
    const diff = await maxDiffs(ort, BUNDLE, FIXTURE);
    t.diagnostic(`max |difference|: vision features ${diff.features.toExponential(2)}, logits ${diff.logits.toExponential(2)}`);
    assert.ok(diff.features <= 1e-3, `max |vision feature difference| ${diff.features} > 1e-3`);
    assert.ok(diff.logits <= 1e-3, `max |logit difference| ${diff.logits} > 1e-3`);
  });
}
