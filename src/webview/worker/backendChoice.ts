// Which onnxruntime execution providers the webview asks for, given the flamingo.backend
// setting and the window's WebGPU adapter. Pure, so that it can be tested without a GPU.
import type { BackendChoice } from '../../extension/protocol';

/** What a WebGPU adapter says of itself (GPUAdapterInfo); isFallbackAdapter marks a software GPU. */
export interface AdapterInfo { vendor: string; architecture: string; description: string; isFallbackAdapter?: boolean }

/**
 * `adapter` is the window's adapter (undefined: none). "auto" passes over a software adapter
 * (SwiftShader): there the bundled model's vision encoder took 3.3-4.1 s against 82-103 ms on
 * WASM in Chromium (bench, four runs). "webgpu" takes whatever adapter there is.
 */
export function executionProvidersFor(choice: BackendChoice, adapter: { info?: AdapterInfo } | undefined): string[] {
  if (choice === 'wasm') return ['wasm'];
  if (choice === 'webgpu') {
    if (!adapter) throw new Error('flamingo.backend is "webgpu", but this window has no WebGPU adapter; set it to "auto" or "wasm"');
    return ['webgpu'];
  }
  return adapter && !adapter.info?.isFallbackAdapter ? ['webgpu', 'wasm'] : ['wasm'];
}
