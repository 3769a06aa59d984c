// The extension end to end in code-server, with the engine on WebAssembly (Chromium without WebGPU).
import { extensionSuite } from './suite';

extensionSuite('wasm');
