// Where the decoder runs beside a WebGPU vision encoder: by the size of its weights (engine.ts, decoderPlacement).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decoderPlacement, type Bundle } from '../../src/flamingo';

/** Only what decoderPlacement reads: the decoder graph's name and the listed file sizes. */
function bundleWith(files: Record<string, number>): Bundle {
  const entries = Object.fromEntries(Object.entries(files).map(([path, size]) => [path, { size, sha256: '0'.repeat(64) }]));
  return { manifest: { graphs: { vision: 'vision.onnx', resampler: 'resampler.onnx', decoder: 'decoder.onnx' }, files: entries } } as unknown as Bundle;
}

const MB = 2 ** 20;
const small = bundleWith({ 'vision.onnx': 900 * MB, 'decoder.onnx': 50_000, 'decoder.onnx.data': 10 * MB });
const large = bundleWith({ 'vision.onnx': 1 * MB, 'decoder.onnx': 50_000, 'decoder.onnx.data': 20 * MB, 'decoder.onnx.data.1': 20 * MB });

test('beside WebGPU, a small decoder goes to WASM and a large one stays on WebGPU (external data counted, other graphs not)', () => {
  assert.equal(decoderPlacement(small, 'webgpu'), 'wasm');
  assert.equal(decoderPlacement(large, 'webgpu'), 'webgpu');
});

test('on any other backend the decoder goes where the vision encoder went', () => {
  for (const backend of ['wasm', 'cpu']) {
    assert.equal(decoderPlacement(small, backend), backend);
    assert.equal(decoderPlacement(large, backend), backend);
  }
});
