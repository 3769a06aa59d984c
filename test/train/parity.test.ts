// The shipped bundle reproduces the trainer's PyTorch logits (fixture written at export time)
// within 1e-3, on onnxruntime-node and on onnxruntime-web's WASM build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { maxLogitDiff, RUNTIMES } from './parity';

const BUNDLE = 'models/flamingo-screens';
const FIXTURE = 'test/train/fixtures/flamingo-screens';
const missing = !existsSync(`${BUNDLE}/manifest.json`) ? `${BUNDLE} is not built yet`
  : !existsSync(`${FIXTURE}/fixture.json`) ? `${FIXTURE} is missing` : false;

for (const [name, ort] of RUNTIMES) {
  test(`bundled model matches PyTorch logits on ${name}`, { skip: missing || undefined }, async () => {
    const diff = await maxLogitDiff(ort, BUNDLE, FIXTURE);
    assert.ok(diff <= 1e-3, `max |logit difference| ${diff} > 1e-3`);
  });
}
