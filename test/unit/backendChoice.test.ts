// The webview's backend choice (src/webview/worker/backendChoice.ts): the setting against the adapter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { executionProvidersFor } from '../../src/webview/worker/backendChoice';

const hardware = { info: { vendor: 'nvidia', architecture: 'hopper', description: '' } };
const software = { info: { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true } };

test('auto: WebGPU (then WASM) on a hardware adapter, WASM on a software one or none', () => {
  assert.deepEqual(executionProvidersFor('auto', hardware), ['webgpu', 'wasm']);
  assert.deepEqual(executionProvidersFor('auto', software), ['wasm']);
  assert.deepEqual(executionProvidersFor('auto', undefined), ['wasm']);
  assert.deepEqual(executionProvidersFor('auto', {}), ['webgpu', 'wasm']); // a browser without GPUAdapterInfo
});

test('webgpu takes any adapter, a software one too, and says so when there is none; wasm ignores the adapter', () => {
  assert.deepEqual(executionProvidersFor('webgpu', software), ['webgpu']);
  assert.deepEqual(executionProvidersFor('webgpu', hardware), ['webgpu']);
  assert.throws(() => executionProvidersFor('webgpu', undefined), /no WebGPU adapter; set it to "auto" or "wasm"/);
  assert.deepEqual(executionProvidersFor('wasm', hardware), ['wasm']);
});
